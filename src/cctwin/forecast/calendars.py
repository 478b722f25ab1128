"""Choose the public-holiday calendar a set of series follows, from their own history.

A holiday calendar helps a forecast only if the series keep it: a pedestrian sensor in
Melbourne is quiet on Victoria's holidays, one in Seoul on Korea's. Rather than asking the
user (or assuming the benchmark's country), `--holidays auto` scores every calendar the
`holidays` package knows against the training data: the days it names must be unusual for
these series (far from the same weekday in the weeks around them), more so than other days.
Only data before the first fit is read, so the choice never sees what it will be scored on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from cctwin.forecast.series import Series

# A calendar is chosen only when its days stand out this clearly (a z-score of the mean
# unusualness of its days against all other days); weaker evidence means "no calendar".
MIN_Z = 4.0
MIN_DAYS = 4
# The same weekday in this many weeks either side is what a normal day looks like.
WEEKS_AROUND = 4


@dataclass(frozen=True)
class CalendarChoice:
    """The chosen calendar ('' for none), how clearly its days stand out, how many it had."""

    spec: str
    z: float
    days: int


def unusual_days(series: Sequence[Series], steps_per_day: int, before: pd.Timestamp) -> pd.Series:
    """Per day before `before`: the median over series of |log(day total / normal total)|."""
    columns: dict[str, pd.Series] = {}
    for s in series:
        frame = pd.Series(s.observed, index=s.index)
        frame = frame[frame.index < before]
        if frame.empty:
            continue
        grouped = frame.groupby(pd.DatetimeIndex(frame.index).normalize())
        totals = grouped.sum(min_count=1)[grouped.count() >= 0.9 * steps_per_day]
        if len(totals) >= 7 * (2 * WEEKS_AROUND + 1):
            columns[s.id] = _deviation(totals.astype(float))
    if not columns:
        return pd.Series(dtype=float)
    return pd.DataFrame(columns).median(axis=1, skipna=True).dropna()


def _deviation(totals: pd.Series) -> pd.Series:
    """|log(total / median of the same weekday in the weeks around it)|, the day left out."""
    full = totals.asfreq("D")
    out = pd.Series(np.nan, index=full.index)
    for weekday in range(7):
        same = full[pd.DatetimeIndex(full.index).day_of_week == weekday]
        window = 2 * WEEKS_AROUND + 1
        around = same.rolling(window, center=True, min_periods=WEEKS_AROUND).median()
        # The centred median includes the day itself; with 8+ neighbours that barely moves it.
        out[same.index] = np.abs(np.log1p(same) - np.log1p(around))
    return out.dropna()


def score_calendar(unusual: pd.Series, holidays_of: set[date]) -> CalendarChoice:
    """How much more unusual the calendar's days are than the rest (a z-score)."""
    on = np.array([d.date() in holidays_of for d in unusual.index])
    n = int(on.sum())
    if n < MIN_DAYS or n == len(unusual):
        return CalendarChoice("", 0.0, n)
    rest = unusual.to_numpy()[~on]
    spread = float(rest.std()) or 1e-9
    z = (float(unusual.to_numpy()[on].mean()) - float(rest.mean())) / (spread / np.sqrt(n))
    return CalendarChoice("", z, n)


def choose_calendar(
    series: Sequence[Series], steps_per_day: int, before: pd.Timestamp
) -> CalendarChoice:
    """The country (then subdivision) calendar whose days these series keep; '' when none does."""
    import holidays  # only when a calendar is chosen

    unusual = unusual_days(series, steps_per_day, before)
    if unusual.empty:
        return CalendarChoice("", 0.0, 0)
    years = sorted({d.year for d in unusual.index})
    supported: dict[str, list[str]] = holidays.list_supported_countries()

    def days_of(country: str, subdiv: str | None) -> set[date] | None:
        try:
            return set(holidays.country_holidays(country, subdiv=subdiv, years=years).keys())
        except (NotImplementedError, KeyError, ValueError):
            return None

    best = CalendarChoice("", 0.0, 0)
    # Every country and every subdivision: a state's own holidays (Victoria's Melbourne Cup,
    # a Korean city's none) are often what separates it from its neighbours.
    for country, subdivisions in supported.items():
        for subdiv in [None, *subdivisions]:
            found = days_of(country, subdiv)
            if found is None:
                continue
            scored = score_calendar(unusual, found)
            if scored.z > best.z:
                spec = country if subdiv is None else f"{country}-{subdiv}"
                best = CalendarChoice(spec, scored.z, scored.days)
    if best.z < MIN_Z:
        return CalendarChoice("", best.z, best.days)
    return best
