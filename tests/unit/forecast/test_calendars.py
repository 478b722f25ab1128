"""The holiday calendar chosen from a series' own history."""

from __future__ import annotations

import holidays
import numpy as np
import pandas as pd

from cctwin.forecast.calendars import choose_calendar
from cctwin.forecast.series import Series


def _series(calendar: str, seed: int, days: int = 3 * 365) -> Series:
    """Hourly counts with a daily shape, quiet weekends and quiet days of `calendar`."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2012-01-02", periods=days * 24, freq="h")
    hour = index.hour.to_numpy()
    level = 200 + 800 * np.exp(-(((hour - 13) / 4.0) ** 2))
    weekend = index.day_of_week.to_numpy() >= 5
    level = np.where(weekend, level * 0.6, level)
    if calendar:
        country, _, subdiv = calendar.partition("-")
        off = set(
            holidays.country_holidays(country, subdiv=subdiv or None, years=range(2012, 2016))
        )
        quiet = np.array([d in off for d in index.date])
        level = np.where(quiet, level * 0.35, level)
    values = rng.poisson(level).astype(float)
    return Series(f"s{seed}", index[0], pd.Timedelta(hours=1), values, values.copy())


def test_the_calendar_the_series_keep_is_chosen() -> None:
    series = [_series("KR", seed) for seed in range(3)]
    choice = choose_calendar(series, 24, pd.Timestamp("2014-12-01"))
    assert choice.spec.startswith("KR")
    assert choice.z > 4


def test_a_subdivision_wins_when_the_series_keep_its_own_days() -> None:
    series = [_series("AU-VIC", seed) for seed in range(3)]
    choice = choose_calendar(series, 24, pd.Timestamp("2014-12-01"))
    assert choice.spec == "AU-VIC"


def test_series_that_keep_no_calendar_get_none() -> None:
    series = [_series("", seed) for seed in range(3)]
    choice = choose_calendar(series, 24, pd.Timestamp("2014-12-01"))
    assert choice.spec == ""


def test_only_days_before_the_cutoff_are_read() -> None:
    # Korean holidays only after the cutoff: nothing before it says which calendar applies.
    series = [_series("", seed) for seed in range(3)]
    cutoff = pd.Timestamp("2013-06-01")
    for s in series:
        after = s.index >= cutoff
        s.observed[after] = _series("KR", 9).observed[after]
    assert choose_calendar(series, 24, cutoff).spec == ""
