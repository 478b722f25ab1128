"""Crowd what-ifs: JuPedSim on the walkable area of the site model, pedpy densities per zone."""
