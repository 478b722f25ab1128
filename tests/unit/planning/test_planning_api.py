"""Planning over HTTP: coverage for the map view right, plans for planners, refusals with reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories import grant

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config import load_config

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


def test_coverage_and_plan_routes(make_site: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    path = make_site(
        store={"type": "sqlite", "path": str(tmp_path / "db.sqlite")},
        media={"path": str(tmp_path / "media")},
    )
    services = Services(load_config(path), start_workers=False)
    with TestClient(create_app(services)) as client:
        planner = grant(services.store, "planner", "planner")
        operator = grant(services.store, "operator", "operator")
        coverage = client.get("/api/planning/coverage", headers=operator)
        cached = client.get("/api/planning/coverage", headers=planner)
        refused = client.post("/api/planning/plan", json={"add": 1}, headers=operator)
        plan = client.post("/api/planning/plan", json={"add": 1}, headers=planner)
        too_many = client.post("/api/planning/plan", json={"add": 400}, headers=planner)
        no_poles = client.post(
            "/api/planning/plan", json={"add": 1, "candidates": "osm"}, headers=planner
        )
    assert coverage.status_code == 200
    body = coverage.json()
    assert {"covered_fraction", "by_class", "blind_spots", "cameras"} <= set(body)
    assert body["not_placed"] == ["unplaced"]
    assert cached.json() == body
    assert refused.status_code == 403
    assert plan.status_code == 200, plan.text
    result = plan.json()
    assert result["after"] > result["before"]
    assert {"lon", "lat", "heading_deg", "fov_deg", "footprint"} <= set(result["cameras"][0])
    # The 1 MP camera is an upgrade candidate; the store was read (0 events, not "no store").
    assert [(u["camera_id"], u["events"]) for u in result["upgrades"]] == [("down", 0)]
    assert too_many.status_code == 400
    assert "candidate positions" in too_many.json()["detail"]
    assert no_poles.status_code == 400
    assert "street-lamp" in no_poles.json()["detail"]
