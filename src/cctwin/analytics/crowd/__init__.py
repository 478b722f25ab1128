"""Crowd analytics: calibration, hybrid detector/density counting, density per m2, risk."""
