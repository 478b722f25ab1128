"""Forecasters behind one small Protocol: the seasonal-naive baseline and a global LightGBM model.

The global model is one LightGBM regressor for every series at once. It never sees raw
counts: each target is divided by the series' level (the mean of the week before the
origin), so busy and quiet sensors share one model and a level shift moves the forecast with
it. Its inputs are lags taken relative to the origin (the same hour the last observed day and
week, two weeks back, the mean of the last four weeks at that hour), the last day against the
same day a week before, hour x weekday, the horizon, and public holidays on the target day and
on the days the lags come from. It is fitted on every origin whose targets lie before the
cutoff, so the backtest can refit it without seeing the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd

from cctwin.forecast.series import Series

EPS = 1.0  # added to levels so an all-zero week does not divide by zero


class Forecaster(Protocol):
    """Fit on data before a cutoff, then forecast `horizon` steps from origins (positions)."""

    name: str

    def fit(self, series: Sequence[Series], cutoff: pd.Timestamp) -> None: ...

    def predict(self, series: Series, origins: np.ndarray, horizon: int) -> np.ndarray:
        """(len(origins), horizon) forecasts; origin o forecasts positions o .. o+horizon-1."""
        ...


class HolidayCalendar:
    """Public holidays of one country (and subdivision), e.g. 'AU-VIC', 'KR'; '' for none."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._days: set[date] = set()
        self._years: set[int] = set()

    def flags(self, days: np.ndarray) -> np.ndarray:
        """1.0 where a datetime64[D] day is a holiday."""
        if not self.spec or days.size == 0:
            return np.zeros(days.shape)
        try:
            import holidays  # imported only when a calendar is asked for
        except ImportError:
            raise ValueError(
                f"calendar '{self.spec}' needs the `holidays` package (or give --holidays '')"
            ) from None

        years = {int(y) for y in np.unique(days.astype("datetime64[Y]").astype(int) + 1970)}
        if not years <= self._years:
            country, _, subdiv = self.spec.partition("-")
            try:
                found = holidays.country_holidays(country, subdiv=subdiv or None, years=years)
            except NotImplementedError as exc:
                raise ValueError(f"unknown holiday calendar '{self.spec}': {exc}") from None
            self._days |= set(found.keys())
            self._years |= years
        lookup = np.array(sorted(self._days), dtype="datetime64[D]")
        return np.isin(days, lookup).astype(float)


def seasonal_lag(horizon_index: np.ndarray, season: int) -> np.ndarray:
    """Steps back to the latest same-phase value before the origin, per horizon index k."""
    return season * ((horizon_index // season) + 1)


class SeasonalNaive:
    """The baseline: each step repeats the same step one season (a week) before the origin."""

    name = "seasonal-naive"

    def __init__(self, season: int) -> None:
        self.season = season

    def fit(self, series: Sequence[Series], cutoff: pd.Timestamp) -> None:
        return None

    def predict(self, series: Series, origins: np.ndarray, horizon: int) -> np.ndarray:
        k = np.arange(horizon)
        source = origins[:, None] + k[None, :] - seasonal_lag(k, self.season)[None, :]
        return np.asarray(series.values[np.clip(source, 0, None)], dtype=float)


def _window_mean(cumsum: np.ndarray, end: np.ndarray, width: int) -> np.ndarray:
    start = np.clip(end - width, 0, None)
    return np.asarray((cumsum[end] - cumsum[start]) / np.maximum(end - start, 1), dtype=float)


class LagFeatures:
    """The global model's inputs for (origin, horizon) pairs of one series."""

    NAMES = (
        "k",
        "hour",
        "weekday",
        "origin_hour",
        "lag_day",
        "lag_week",
        "lag_2week",
        "mean_4week",
        "last_day",
        "day_vs_week",
        "last_value",
        "level_vs_month",
        "hol_target",
        "hol_lag_day",
        "hol_lag_week",
    )

    def __init__(self, day: int, holidays: HolidayCalendar) -> None:
        self.day = day
        self.week = 7 * day
        self.holidays = holidays

    def min_history(self) -> int:
        return 4 * self.week

    def build(
        self, series: Series, origins: np.ndarray, horizon: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Features (n_origins*horizon, n_features) and each row's level (to scale back)."""
        y = series.values
        cumsum = np.concatenate([[0.0], np.cumsum(y)])
        day, week = self.day, self.week
        k = np.arange(horizon)
        t = origins[:, None] + k[None, :]
        level = _window_mean(cumsum, origins, week) + EPS
        last_day = _window_mean(cumsum, origins, day) + EPS
        week_before = _window_mean(cumsum, origins - week, day) + EPS
        month = _window_mean(cumsum, origins, 4 * week) + EPS
        lag_d = t - seasonal_lag(k, day)[None, :]
        lag_w = t - seasonal_lag(k, week)[None, :]
        lag_2w = lag_w - week
        same_phase = np.stack([y[np.clip(lag_w - i * week, 0, None)] for i in range(4)])
        when = series.start + series.step * t.ravel()
        idx = pd.DatetimeIndex(when)
        days = idx.values.astype("datetime64[D]")
        step_days = np.timedelta64(int(series.step / pd.Timedelta(seconds=1)), "s")
        lag_day_days = (
            idx.values
            - (seasonal_lag(k, day)[None, :] * step_days).repeat(len(origins), axis=0).ravel()
        ).astype("datetime64[D]")
        lag_week_days = (
            idx.values
            - (seasonal_lag(k, week)[None, :] * step_days).repeat(len(origins), axis=0).ravel()
        ).astype("datetime64[D]")
        lv = level[:, None]
        n = t.size
        origin_hour = (origins % day)[:, None].repeat(horizon, axis=1)
        cols = [
            np.broadcast_to(k, t.shape).ravel(),
            (idx.hour.to_numpy() * 60 + idx.minute.to_numpy()) / 60.0,
            idx.day_of_week.to_numpy(),
            origin_hour.ravel(),
            (y[lag_d] / lv).ravel(),
            (y[lag_w] / lv).ravel(),
            (y[np.clip(lag_2w, 0, None)] / lv).ravel(),
            (same_phase.mean(axis=0) / lv).ravel(),
            np.repeat(last_day / level, horizon),
            np.repeat(last_day / week_before, horizon),
            np.repeat(y[origins - 1] / level, horizon),
            np.repeat(level / month, horizon),
            self.holidays.flags(days),
            self.holidays.flags(lag_day_days),
            self.holidays.flags(lag_week_days),
        ]
        features = np.column_stack([np.asarray(c, dtype=float).reshape(n) for c in cols])
        return features, np.repeat(level, horizon)


class GlobalLagModel:
    """One LightGBM model over level-normalised lags, shared by every series."""

    name = "global-lgbm"

    def __init__(
        self,
        day: int,
        horizon: int,
        holidays: HolidayCalendar,
        trees: int = 300,
        train_days: int = 1200,
        seed: int = 0,
    ) -> None:
        self.features = LagFeatures(day, holidays)
        self.horizon = horizon
        self.trees = trees
        self.train_days = train_days
        self.seed = seed
        self._booster: object | None = None

    def training_set(
        self, series: Sequence[Series], cutoff: pd.Timestamp
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose target is observed and strictly before `cutoff` (no leakage)."""
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        day = self.features.day
        for s in series:
            end = min(len(s.values), s.position(cutoff))  # first position not allowed
            # Only the most recent `train_days` (default over three years: each season seen thrice).
            first = max(self.features.min_history(), end - self.train_days * day)
            if end - first <= 0:
                continue
            phase = (s.start.hour * 60 + s.start.minute) * day // 1440
            origins = np.arange(first + (-(first + phase)) % day, end, day)
            if origins.size == 0:
                continue
            x, level = self.features.build(s, origins, self.horizon)
            t = (origins[:, None] + np.arange(self.horizon)[None, :]).ravel()
            inside = t < end
            target = s.observed[np.clip(t, 0, len(s.observed) - 1)]
            keep = inside & ~np.isnan(target)
            xs.append(x[keep])
            ys.append(target[keep] / level[keep])
        if not xs:
            return np.empty((0, len(LagFeatures.NAMES))), np.empty(0)
        return np.concatenate(xs), np.concatenate(ys)

    def fit(self, series: Sequence[Series], cutoff: pd.Timestamp) -> None:
        import lightgbm as lgb  # heavy; only when a model is fitted

        x, y = self.training_set(series, cutoff)
        if len(y) < 100:
            raise ValueError(f"too little history before {cutoff} to fit the model ({len(y)} rows)")
        params = {
            "objective": "l1",
            "learning_rate": 0.05,
            "num_leaves": 63,
            "min_data_in_leaf": 50,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "seed": self.seed,
            "verbose": -1,
            "num_threads": 1,  # OpenMP threads spin badly on a shared, busy machine
        }
        data = lgb.Dataset(x, y, feature_name=list(LagFeatures.NAMES), free_raw_data=True)
        self._booster = lgb.train(params, data, num_boost_round=self.trees)

    def predict(self, series: Series, origins: np.ndarray, horizon: int) -> np.ndarray:
        if self._booster is None:
            raise RuntimeError("fit the model before predicting")
        x, level = self.features.build(series, origins, horizon)
        ratio = np.asarray(self._booster.predict(x))  # type: ignore[attr-defined]
        return np.asarray(np.clip(ratio * level, 0.0, None), dtype=float).reshape(
            len(origins), horizon
        )
