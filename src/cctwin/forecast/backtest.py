"""Rolling-origin backtest: fit only on data before each origin, score against the truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cctwin.config.forecast import BACKTEST_HOLIDAYS
from cctwin.forecast.calendars import choose_calendar
from cctwin.forecast.models import (
    Forecaster,
    GlobalLagModel,
    HolidayCalendar,
    LagFeatures,
    SeasonalNaive,
)
from cctwin.forecast.series import Series, SeriesError, SeriesSet

Progress = Callable[[int, int], None]  # (done, total) fits and predictions
Drawn = tuple[np.ndarray, np.ndarray, np.ndarray]  # origins, forecasts, baseline forecasts


class BacktestConfig(BaseModel):
    """How the backtest runs; the defaults are the set-up the benchmarks report."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    horizon: int = Field(ge=1)
    origins: int = Field(28, ge=1, description="daily origins at 00:00, the latest N per series")
    refit_days: int = Field(7, ge=1, description="refit the global model this often")
    holidays: str = Field(
        BACKTEST_HOLIDAYS,
        description="public-holiday calendar, e.g. KR, AU-VIC; '' none; auto: the one the"
        " series' history before the first fit follows (forecast/calendars.py)",
    )
    trees: int = Field(300, ge=10)
    train_days: int = Field(1200, ge=28, description="Fit on the last N days before each refit.")


class SeriesScore(BaseModel):
    """One series' scores over its origins."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    series_id: str
    origins: int
    n_forecasts: int
    mae: float
    baseline_mae: float
    mase: float
    baseline_mase: float


class BacktestResult(BaseModel):
    """The JSON the command prints (per-series rows and gaps beside the headline keys)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str
    horizon: int
    n_series: int
    n_forecasts: int
    mae: float
    baseline_mae: float
    mase: float
    baseline_mase: float
    ratio: float
    mase_quartiles: list[float]
    ratio_quartiles: list[float]
    skipped: list[str]
    gaps_missing: dict[str, int]
    holidays: str = Field(description="the calendar used ('' none); with auto, the one chosen")
    series: list[SeriesScore]


@dataclass(frozen=True)
class Origins:
    """The origins (positions) of one series and the in-sample scale at each."""

    series: Series
    positions: np.ndarray
    scales: np.ndarray


def midnight_origins(s: Series, day: int, horizon: int, count: int, min_history: int) -> np.ndarray:
    """The latest `count` 00:00 positions whose whole horizon lies inside the series."""
    phase = (s.start.hour * 60 + s.start.minute) * day // 1440
    last = len(s.values) - horizon  # an origin at `last` still has its horizon inside
    first = min_history + (-(min_history + phase)) % day
    if last < first:
        return np.empty(0, dtype=int)
    positions = np.arange(first, last + 1, day)
    return positions[-count:]


def seasonal_scale(s: Series, origin: int, season: int) -> float:
    """Mean |y_t - y_{t-season}| over observed history before the origin (the MASE scale)."""
    y = s.observed[:origin]
    diff = np.abs(y[season:] - y[:-season])
    diff = diff[~np.isnan(diff)]
    return float(diff.mean()) if diff.size else float("nan")


def plan(
    data: SeriesSet, config: BacktestConfig, min_history: int
) -> tuple[list[Origins], list[str]]:
    """Each series' origins; series too short for even one origin are skipped (and named)."""
    kept: list[Origins] = []
    skipped: list[str] = []
    for s in data.series:
        positions = midnight_origins(
            s, data.steps_per_day, config.horizon, config.origins, min_history
        )
        scales = np.array([seasonal_scale(s, int(p), data.season) for p in positions])
        ok = np.isfinite(scales) & (scales > 0)
        if not ok.any():
            skipped.append(s.id)
            continue
        kept.append(Origins(s, positions[ok], scales[ok]))
    if not kept:
        raise SeriesError(
            f"every series is too short: need {min_history} steps of history plus the horizon"
            f" ({config.horizon}) before the first origin"
        )
    return kept, skipped


def fit_times(plans: list[Origins], refit: pd.Timedelta) -> list[pd.Timestamp]:
    """Refit dates: the first origin, then the first origin at least `refit` after the last fit."""
    times = sorted({o.series.start + o.series.step * int(p) for o in plans for p in o.positions})
    fits = [times[0]]
    for t in times[1:]:
        if t >= fits[-1] + refit:
            fits.append(t)
    return fits


def run_backtest(
    data: SeriesSet, config: BacktestConfig, progress: Progress | None = None
) -> tuple[BacktestResult, dict[str, Drawn]]:
    """Scores and, per series, (origins, forecasts, baseline forecasts) for plotting."""
    history = LagFeatures(data.steps_per_day, HolidayCalendar("")).min_history()
    plans, skipped = plan(data, config, history)
    fits = fit_times(plans, pd.Timedelta(days=config.refit_days))
    spec = config.holidays
    if spec == "auto":
        spec = choose_calendar([o.series for o in plans], data.steps_per_day, fits[0]).spec
    calendar = HolidayCalendar(spec)
    model = GlobalLagModel(
        data.steps_per_day, config.horizon, calendar, config.trees, config.train_days
    )
    baseline = SeasonalNaive(data.season)
    done, total = 0, len(fits) + len(plans) * len(fits)
    forecasts: dict[str, np.ndarray] = {
        o.series.id: np.full((len(o.positions), config.horizon), np.nan) for o in plans
    }
    for i, cutoff in enumerate(fits):
        until = fits[i + 1] if i + 1 < len(fits) else pd.Timestamp.max
        model.fit([o.series for o in plans], cutoff)
        done += 1
        for o in plans:
            when = o.series.start + o.series.step * o.positions
            use = (when >= cutoff) & (when < until)
            if use.any():
                forecasts[o.series.id][use] = model.predict(
                    o.series, o.positions[use], config.horizon
                )
            done += 1
            if progress:
                progress(done, total)
    scores: list[SeriesScore] = []
    drawn: dict[str, Drawn] = {}
    for o in plans:
        base = baseline.predict(o.series, o.positions, config.horizon)
        scores.append(_score(o, forecasts[o.series.id], base, config.horizon))
        drawn[o.series.id] = (o.positions, forecasts[o.series.id], base)
    return _summary(model, data, config, scores, skipped, spec), drawn


def _score(o: Origins, forecast: np.ndarray, base: np.ndarray, horizon: int) -> SeriesScore:
    t = o.positions[:, None] + np.arange(horizon)[None, :]
    truth = o.series.observed[t]
    seen = ~np.isnan(truth)
    err = np.where(seen, np.abs(forecast - truth), np.nan)
    berr = np.where(seen, np.abs(base - truth), np.nan)
    # Origins whose whole horizon is missing are not scored at all.
    scored = seen.any(axis=1)
    per_origin = np.nanmean(err[scored], axis=1) / o.scales[scored]
    per_origin_base = np.nanmean(berr[scored], axis=1) / o.scales[scored]
    return SeriesScore(
        series_id=o.series.id,
        origins=int(scored.sum()),
        n_forecasts=int(seen.sum()),
        mae=float(np.nanmean(err)),
        baseline_mae=float(np.nanmean(berr)),
        mase=float(np.nanmean(per_origin)),
        baseline_mase=float(np.nanmean(per_origin_base)),
    )


def _summary(
    model: Forecaster,
    data: SeriesSet,
    config: BacktestConfig,
    scores: list[SeriesScore],
    skipped: list[str],
    holidays: str,
) -> BacktestResult:
    mase = float(np.mean([s.mase for s in scores]))
    base = float(np.mean([s.baseline_mase for s in scores]))
    ratios = [s.mase / s.baseline_mase for s in scores if s.baseline_mase > 0]
    return BacktestResult(
        model=model.name,
        horizon=config.horizon,
        n_series=len(scores),
        n_forecasts=sum(s.n_forecasts for s in scores),
        mae=float(np.mean([s.mae for s in scores])),
        baseline_mae=float(np.mean([s.baseline_mae for s in scores])),
        mase=mase,
        baseline_mase=base,
        ratio=mase / base if base > 0 else float("nan"),
        mase_quartiles=[float(q) for q in np.quantile([s.mase for s in scores], [0.25, 0.5, 0.75])],
        ratio_quartiles=[float(q) for q in np.quantile(ratios, [0.25, 0.5, 0.75])]
        if ratios
        else [],
        skipped=skipped,
        gaps_missing={g.series_id: g.missing for g in data.gaps if g.missing},
        holidays=holidays,
        series=scores,
    )
