"""Live zone forecasts: the step they aggregate to, the horizons, the band, the early warning."""

from __future__ import annotations

from pydantic import Field, model_validator

from cctwin.config.base import Strict

# The backtest's public-holiday calendar: by default the one the series' own history follows
# (forecast/calendars.py), so a Seoul file gets Korea's and a Melbourne file Victoria's.
BACKTEST_HOLIDAYS = "auto"


class ForecastConfig(Strict):
    """Each crowd zone's count and density forecast 5..60 minutes ahead (see docs/forecast.md)."""

    enabled: bool = True
    step_s: int = Field(60, ge=1, le=3600, description="Observations are averaged per step.")
    horizons_min: list[int] = Field(default_factory=lambda: [5, 10, 15, 30, 45, 60], min_length=1)
    season_steps: int | None = Field(
        None, ge=2, description="Seasonal-naive season in steps; default one day."
    )
    min_history_steps: int = Field(
        30, ge=2, description="Below this, the model falls back to the last value (naive)."
    )
    history_steps: int = Field(
        2 * 1440 + 60,
        ge=10,
        description="Steps kept per zone (and loaded from the store at start).",
    )
    band_level: int = Field(80, ge=50, le=99, description="Central interval, per cent.")
    early_warning: bool = Field(True, description="Publish crowdRiskForecast events.")

    @model_validator(mode="after")
    def _horizons_are_steps(self) -> ForecastConfig:
        for minutes in self.horizons_min:
            if minutes <= 0 or (minutes * 60) % self.step_s:
                raise ValueError(f"horizon {minutes} min is not a whole number of steps")
        return self

    @property
    def season(self) -> int:
        return self.season_steps or max(2, 86400 // self.step_s)
