"""The live models: exponential smoothing (statsforecast) beside the seasonal-naive baseline.

While a zone's history is short the model falls back to the last value (naive) with a band
from the spread of its step-to-step changes; the baseline is the seasonal naive once a whole
season is known, the last value before.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol

import numpy as np

FIT_STEPS = 360  # the ETS model is refitted each step on the last 6 hours (1-minute steps)


@dataclass(frozen=True)
class Band:
    """Forecasts for steps 1..H ahead with their central interval and the baseline."""

    model: str
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    baseline: np.ndarray
    scale: float


class LiveModel(Protocol):
    """Forecast `steps` steps after the end of `history` with a central `level`% interval."""

    name: str

    def warm(self) -> None:
        """Pay any one-off cost (imports, JIT) before the first forecast is due."""
        ...

    def forecast(
        self, history: np.ndarray, steps: int, level: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


class NaiveModel:
    """The last value, banded by the spread of step-to-step changes (a random walk)."""

    name = "naive"

    def warm(self) -> None:
        return None

    def forecast(
        self, history: np.ndarray, steps: int, level: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        last = float(history[-1])
        spread = float(np.std(np.diff(history))) if len(history) > 2 else 0.0
        z = NormalDist().inv_cdf(0.5 + level / 200)
        width = z * spread * np.sqrt(np.arange(1, steps + 1))
        mean = np.full(steps, last)
        return mean, mean - width, mean + width


class EtsModel:
    """statsforecast's AutoETS (error, trend, no season: minute data rarely has a day of it)."""

    name = "ets"

    def warm(self) -> None:
        self.forecast(np.arange(40, dtype=float) % 7, 5, 80)

    def forecast(
        self, history: np.ndarray, steps: int, level: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from statsforecast.models import AutoETS  # heavy import, paid once, off the event loop

        recent = history[-FIT_STEPS:].astype(float)  # the recent past: cheap every step
        out = AutoETS(season_length=1).forecast(recent, h=steps, level=[level])
        return (
            np.asarray(out["mean"]),
            np.asarray(out[f"lo-{level}"]),
            np.asarray(out[f"hi-{level}"]),
        )


def seasonal_baseline(history: np.ndarray, steps: int, season: int) -> np.ndarray:
    """Seasonal naive when a season is known, else the last value."""
    if len(history) < season:
        return np.full(steps, float(history[-1]))
    k = np.arange(steps)
    back = season * (k // season + 1)
    return np.asarray(history[len(history) + k - back], dtype=float)


def mase_scale(history: np.ndarray, season: int) -> float:
    """In-sample error of the baseline: seasonal differences, else one-step differences."""
    lag = season if len(history) > season + 1 else 1
    if len(history) <= lag:
        return 1.0
    diff = np.abs(history[lag:] - history[:-lag])
    return max(float(diff.mean()), 1e-3)  # a flat history would divide by zero


def forecast_zone(
    history: np.ndarray, steps: int, level: int, season: int, model: LiveModel, min_history: int
) -> Band:
    """The model (or the naive fallback while history is short) beside the baseline."""
    chosen: LiveModel = model if len(history) >= min_history else NaiveModel()
    mean, low, high = chosen.forecast(history, steps, level)
    floor = 0.0  # counts and densities are never negative
    return Band(
        model=chosen.name,
        mean=np.clip(mean, floor, None),
        low=np.clip(np.minimum(low, mean), floor, None),
        high=np.clip(np.maximum(high, mean), floor, None),
        baseline=seasonal_baseline(history, steps, season),
        scale=mase_scale(history, season),
    )
