"""The ledger: each forecast scored against its truth, the running score in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cctwin.config import SqliteStoreConfig
from cctwin.forecast.ledger import ForecastPoint, Quantity, RiskBand, level_of, score
from cctwin.store.sql import SqlStore

BANDS = [RiskBand(name="caution", threshold=3.0), RiskBand(name="alert", threshold=4.0)]
T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def point(
    value: float, baseline: float, minutes: int = 5, level: str | None = None
) -> ForecastPoint:
    return ForecastPoint(
        camera_id="cam", rule_id="plaza", quantity=Quantity.DENSITY, model="ets",
        issued_at=T0, target_at=T0 + timedelta(minutes=minutes - 1), horizon_min=minutes,
        value=value, low=value - 0.5, high=value + 0.5, baseline=baseline, scale=0.5, level=level,
    )  # fmt: skip


def test_levels_follow_the_bands() -> None:
    assert level_of(2.9, BANDS) == "normal"
    assert level_of(3.0, BANDS) == "caution"
    assert level_of(4.5, BANDS) == "alert"


def test_a_forecast_is_scored_by_abs_and_scaled_error_band_and_level() -> None:
    scored = score(point(3.2, 2.0, level="caution"), 3.5, BANDS)
    assert scored.abs_error == pytest.approx(0.3)
    assert scored.baseline_abs_error == pytest.approx(1.5)
    assert scored.scaled_error == pytest.approx(0.6)
    assert scored.baseline_scaled_error == pytest.approx(3.0)
    assert scored.inside_band
    assert scored.level_right is True
    wrong = score(point(3.2, 2.0, level="caution"), 4.2, BANDS)
    assert wrong.level_right is False
    assert not wrong.inside_band


def test_ids_differ_per_horizon_and_repeat_per_issue() -> None:
    assert point(1, 1, 5).id != point(1, 1, 10).id
    assert point(1, 1, 5).id == point(2, 2, 5).id


def test_the_store_keeps_forecasts_scores_and_the_running_score(tmp_path: Path) -> None:
    store = SqlStore.open(SqliteStoreConfig(path=tmp_path / "db.sqlite"))
    try:
        points = [point(3.2, 2.0, 5, "caution"), point(2.0, 2.0, 10, "normal")]
        assert store.add_forecasts(points) == 2
        assert store.add_forecasts(points) == 0  # stored once by id
        assert {p.id for p in store.pending_forecasts(T0)} == {p.id for p in points}
        assert store.add_forecast_scores([score(points[0], 3.5, BANDS)]) == 1
        assert [p.id for p in store.pending_forecasts(T0)] == [points[1].id]
        zone, overall = store.ledger_scores()
        assert (zone.camera_id, zone.rule_id, zone.quantity) == ("cam", "plaza", Quantity.DENSITY)
        assert zone.scored == 1
        assert zone.pending == 1
        assert zone.mae == pytest.approx(0.3)
        assert zone.mase == pytest.approx(0.6)
        assert zone.baseline_mase == pytest.approx(3.0)
        assert zone.level_accuracy == 1.0
        assert zone.band_coverage == 1.0
        assert overall.camera_id is None
        assert overall.scored == 1
        (latest,) = store.latest_forecasts()
        assert [p.horizon_min for p in latest.points] == [5, 10]
        assert store.latest_forecasts({"other"}) == []
    finally:
        store.close()
