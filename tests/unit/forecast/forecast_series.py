"""Generated hourly series (test fixtures) with a known daily x weekly pattern, a level shift and noise."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_frame(series: int = 6, weeks: int = 12, seed: int = 0) -> pd.DataFrame:
    """Hourly counts: a daily profile scaled per weekday; half the series halve 8 days from the end."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2024-01-01", periods=weeks * 168, freq="h")
    hour, weekday = hours.hour.to_numpy(), hours.day_of_week.to_numpy()
    profile = 1.0 + np.sin((hour - 6) / 24 * 2 * np.pi).clip(0) * 4.0
    week_factor = np.where(weekday >= 5, 0.6, 1.0)
    parts = []
    for i in range(series):
        level = 100.0 * (i + 1)
        shift = np.where((i % 2 == 0) & (np.arange(len(hours)) >= weeks * 168 - 8 * 24), 0.5, 1.0)
        value = level * profile * week_factor * shift * rng.lognormal(0, 0.08, len(hours))
        parts.append(pd.DataFrame({"ts": hours, "sensor_id": i, "count": value.round()}))
    return pd.concat(parts, ignore_index=True)
