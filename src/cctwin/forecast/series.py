"""Read a long-format time-series CSV into regular, typed series and report its gaps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

# Column names tried, in order, when a flag does not name the column.
TIME_NAMES = ("ts", "time", "timestamp", "datetime", "date", "ds")
ID_NAMES = ("series_id", "unique_id", "sensor_id", "id", "series", "sensor", "zone_id")
VALUE_NAMES = ("value", "y", "count", "counts", "people")
# Gaps of up to this many steps are bridged linearly; longer ones repeat the season before.
SHORT_GAP = 3


class SeriesError(ValueError):
    """Input that cannot be read as series (one line, shown to the user as is)."""


class SeriesColumns(BaseModel):
    """Which CSV columns hold time, series id and value (None: detect by name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    time: str | None = None
    id: str | None = None
    value: str | None = None


class GapReport(BaseModel):
    """Missing steps of one series inside its own span, and how they were filled."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    series_id: str
    missing: int
    longest: int
    filled: str


@dataclass(frozen=True)
class Series:
    """One regular series: `observed` has NaN where the CSV had no value, `values` is gap-filled."""

    id: str
    start: pd.Timestamp
    step: pd.Timedelta
    observed: np.ndarray
    values: np.ndarray

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self.values), freq=self.step)

    def position(self, when: pd.Timestamp) -> int:
        return int((when - self.start) / self.step)


@dataclass(frozen=True)
class SeriesSet:
    """Every series of one file on one common step."""

    step: pd.Timedelta
    series: list[Series]
    gaps: list[GapReport]

    @property
    def steps_per_day(self) -> int:
        return max(1, int(pd.Timedelta(days=1) / self.step))

    @property
    def season(self) -> int:
        """One week of steps (the seasonal-naive season for hourly data is 168)."""
        return 7 * self.steps_per_day


def _pick(frame: pd.DataFrame, given: str | None, names: tuple[str, ...], role: str) -> str:
    have = ", ".join(map(str, frame.columns))
    if given is not None:
        if given not in frame.columns:
            raise SeriesError(f"no {role} column '{given}' (the file has {have})")
        return given
    found = [n for n in names if n in frame.columns]
    if not found:
        raise SeriesError(f"no {role} column: name it with --{role}-column (the file has {have})")
    return found[0]


def read_series(path: Path, columns: SeriesColumns, min_length: int | None = None) -> SeriesSet:
    """Read, validate and regularise; raises SeriesError with a one-line reason."""
    if not path.is_file():
        raise SeriesError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SeriesError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    time_col = _pick(frame, columns.time, TIME_NAMES, "time")
    value_col = _pick(frame, columns.value, VALUE_NAMES, "value")
    id_col: str | None
    try:
        id_col = _pick(frame, columns.id, ID_NAMES, "id")
    except SeriesError:
        if columns.id is not None:
            raise
        id_col = None  # a single series
    if id_col in (time_col, value_col):
        id_col = None
    return _regularise(frame, time_col, id_col, value_col, min_length)


def _regularise(
    frame: pd.DataFrame, time_col: str, id_col: str | None, value_col: str, min_length: int | None
) -> SeriesSet:
    times = pd.to_datetime(frame[time_col], errors="coerce", utc=False, format="mixed")
    if times.isna().any():
        bad = frame[time_col][times.isna()].iloc[0]
        raise SeriesError(f"column '{time_col}' has a value that is not a time: {bad!r}")
    values = pd.to_numeric(frame[value_col], errors="coerce")
    if values.isna().all():
        raise SeriesError(f"column '{value_col}' has no numeric values")
    ids = frame[id_col].astype(str) if id_col else pd.Series("series", index=frame.index)
    long = pd.DataFrame({"ds": times, "id": ids, "y": values}).dropna(subset=["y"])
    long = long.groupby(["id", "ds"], sort=True)["y"].mean().reset_index()
    diffs = long.groupby("id")["ds"].diff().dropna()
    diffs = diffs[diffs > pd.Timedelta(0)]
    if diffs.empty:
        raise SeriesError("every series has a single time: cannot tell the step")
    step = pd.Timedelta(diffs.mode().iloc[0])
    out: list[Series] = []
    gaps: list[GapReport] = []
    for sid, part in long.groupby("id", sort=False):
        start = part["ds"].iloc[0]
        pos = ((part["ds"] - start) / step).round().astype(int).to_numpy()
        observed = np.full(int(pos[-1]) + 1, np.nan)
        observed[pos] = part["y"].to_numpy(dtype=float)
        season = 7 * max(1, int(pd.Timedelta(days=1) / step))
        filled, longest = fill_gaps(observed, season)
        missing = int(np.isnan(observed).sum())
        how = "none" if missing == 0 else f"linear up to {SHORT_GAP} steps, else the season before"
        gaps.append(GapReport(series_id=str(sid), missing=missing, longest=longest, filled=how))
        out.append(Series(str(sid), start, step, observed, filled))
    if min_length is not None:
        longest_series = max(len(s.values) for s in out)
        if longest_series < min_length:
            raise SeriesError(
                f"series too short: the longest has {longest_series} steps, need {min_length}"
            )
    return SeriesSet(step, out, gaps)


def fill_gaps(observed: np.ndarray, season: int) -> tuple[np.ndarray, int]:
    """Gap-filled copy of `observed` and the longest gap (in steps)."""
    values = observed.copy()
    missing = np.isnan(values)
    if not missing.any():
        return values, 0
    # Runs of missing steps: starts and lengths.
    edges = np.diff(np.concatenate([[0], missing.astype(int), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    for a, b in zip(starts, ends, strict=True):
        left = values[a - 1] if a > 0 else np.nan
        right = values[b] if b < len(values) else np.nan
        if b - a <= SHORT_GAP and not np.isnan(left) and not np.isnan(right):
            values[a:b] = np.linspace(left, right, b - a + 2)[1:-1]
            continue
        for i in range(a, b):
            day = season // 7
            if i >= season:
                values[i] = values[i - season]
            elif i >= day:
                values[i] = values[i - day]
            else:
                values[i] = left if not np.isnan(left) else right
    return values, int((ends - starts).max())
