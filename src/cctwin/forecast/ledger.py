"""The forecast ledger's domain types: a stored forecast, its score, the running score."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cctwin.messages import stable_id

CALM = "normal"  # the level below every band


class Quantity(StrEnum):
    """What a zone forecast is of (the observation kinds it aggregates)."""

    COUNT = "crowd.count"
    DENSITY = "crowd.density"


class RiskBand(BaseModel):
    """A risk level entered at a value (persons per m2 for density)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    threshold: float


def level_of(value: float, bands: Sequence[RiskBand]) -> str:
    """The highest band whose threshold the value reaches, else 'normal'."""
    reached = [b for b in bands if value >= b.threshold]
    return max(reached, key=lambda b: b.threshold).name if reached else CALM


class ForecastPoint(BaseModel):
    """One forecast of one zone's quantity for one target time, as issued."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = ""
    camera_id: str
    rule_id: str
    quantity: Quantity
    model: str
    issued_at: datetime
    target_at: datetime
    horizon_min: int = Field(ge=1)
    value: float
    low: float
    high: float
    baseline: float
    scale: float = Field(gt=0, description="In-sample seasonal-naive error at issue (MASE scale).")
    level: str | None = Field(None, description="The risk level forecast (density only).")

    def model_post_init(self, context: object) -> None:
        if not self.id:
            key = (self.camera_id, self.rule_id, self.quantity.value, self.issued_at.isoformat())
            self.__dict__["id"] = stable_id(*key, self.horizon_min)


class ForecastScore(BaseModel):
    """A forecast scored when its target time's truth arrived."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    forecast_id: str
    truth: float
    abs_error: float
    baseline_abs_error: float
    scaled_error: float
    baseline_scaled_error: float
    inside_band: bool
    level_right: bool | None = Field(None, description="Risk level right (density only).")


def score(point: ForecastPoint, truth: float, bands: Sequence[RiskBand]) -> ForecastScore:
    """Score one forecast against the value really observed at its target time."""
    error = abs(point.value - truth)
    base = abs(point.baseline - truth)
    right = None
    if point.level is not None:
        right = point.level == level_of(truth, bands)
    return ForecastScore(
        forecast_id=point.id,
        truth=truth,
        abs_error=error,
        baseline_abs_error=base,
        scaled_error=error / point.scale,
        baseline_scaled_error=base / point.scale,
        inside_band=point.low <= truth <= point.high,
        level_right=right,
    )


class RunningScore(BaseModel):
    """The ledger's score over scored forecasts of one zone (or all: camera_id None)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    camera_id: str | None = None
    rule_id: str | None = None
    quantity: Quantity | None = None
    scored: int
    mae: float | None
    baseline_mae: float | None
    mase: float | None
    baseline_mase: float | None
    band_coverage: float | None = Field(None, description="Share of truths inside the band.")
    level_accuracy: float | None = Field(None, description="Share of risk levels right.")
    pending: int = Field(0, description="Issued forecasts whose truth has not arrived yet.")


class LatestForecast(BaseModel):
    """A zone's newest forecasts (one per horizon), with its latest value observed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    camera_id: str
    rule_id: str
    quantity: Quantity
    issued_at: datetime
    latest_value: float | None
    points: list[ForecastPoint]
