"""What-if scenarios on the twin: crowd egress with JuPedSim, flooding with SWMM; files, runs, results."""
