"""Crowd analytics: ground-plane calibration, density per square metre and risk levels."""
