"""GET /api/forecasts and /api/forecasts/ledger: the same right as observations, camera scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import grant

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.forecast.ledger import ForecastPoint, Quantity, RiskBand, score

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - id: cam-a
    source: {{url: a.mp4}}
  - id: cam-b
    source: {{url: b.mp4}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
forecast: {{enabled: false}}
"""
T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def point(camera: str, minutes: int, value: float) -> ForecastPoint:
    return ForecastPoint(
        camera_id=camera, rule_id="plaza", quantity=Quantity.COUNT, model="ets",
        issued_at=T0, target_at=T0 + timedelta(minutes=minutes - 1), horizon_min=minutes,
        value=value, low=value - 2, high=value + 2, baseline=value + 1, scale=2.0,
    )  # fmt: skip


def test_forecasts_and_ledger_read_like_observations(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    services = Services(config, start_workers=False)
    points = [point("cam-a", 5, 10.0), point("cam-a", 10, 12.0), point("cam-b", 5, 3.0)]
    services.store.add_forecasts(points)
    services.store.add_forecast_scores([score(points[0], 11.0, list[RiskBand]())])
    with TestClient(create_app(services)) as client:
        planner = grant(services.store, "planner", "planner")
        scoped = grant(services.store, "guard", "operator", cameras="cam-b")
        everything = client.get("/api/forecasts", headers=planner)
        only_b = client.get("/api/forecasts", headers=scoped)
        ledger = client.get("/api/forecasts/ledger", headers=planner)
        anonymous = client.get("/api/forecasts")
    assert everything.status_code == 200
    zones = {z["camera_id"]: z for z in everything.json()}
    assert [p["horizon_min"] for p in zones["cam-a"]["points"]] == [5, 10]
    assert {"value", "low", "high", "baseline"} <= set(zones["cam-a"]["points"][0])
    assert [z["camera_id"] for z in only_b.json()] == ["cam-b"]
    assert ledger.status_code == 200
    overall = ledger.json()[-1]
    assert overall["camera_id"] is None
    assert overall["scored"] == 1
    assert overall["pending"] == 2
    assert overall["mae"] == pytest.approx(1.0)
    assert overall["mase"] == pytest.approx(0.5)
    assert anonymous.status_code == 401
