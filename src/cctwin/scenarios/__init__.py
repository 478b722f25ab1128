"""What-if scenarios run on the twin: each kind in its own package (flood: SWMM)."""
