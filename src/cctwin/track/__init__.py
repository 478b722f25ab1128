"""Tracking: give each detected object a stable id across frames."""
