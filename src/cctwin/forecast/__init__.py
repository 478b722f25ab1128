"""Forecasts of zone counts and of any time series, scored against what really happened."""
