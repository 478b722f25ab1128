"""What-if scenarios: crowd egress with JuPedSim, flooding with SWMM; files, runs, results."""
