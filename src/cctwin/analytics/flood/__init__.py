"""Flood monitoring: water coverage and level inside an operator-drawn ROI."""
