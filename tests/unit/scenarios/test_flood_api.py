"""GET /api/flood/network: the generated network as GeoJSON for planners; 404 without streets."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import grant
from flood_grid import grid_config

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config import Config

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


def test_network_geojson_and_refusals(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    services = Services(grid_config(tmp_path), start_workers=False)
    with TestClient(create_app(services)) as client:
        anonymous = client.get("/api/flood/network")
        client.headers.update(grant(services.store, "planner", "planner"))
        collection = client.get("/api/flood/network").json()
        bigger = client.get("/api/flood/network?design_intensity_mm_h=200").json()
        bad = client.get("/api/flood/network?design_intensity_mm_h=-1")
    assert anonymous.status_code == 401
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("inlet") == 25
    assert kinds.count("outfall") == 3
    assert kinds.count("conduit") == 25  # one pipe out of every inlet
    assert "not a survey" in collection["sample"]
    # Pipes sized for twice the rain are larger somewhere, never smaller.
    sizes = [
        f["properties"]["diameter_m"]
        for f in collection["features"]
        if "diameter_m" in f["properties"]
    ]
    larger = [
        f["properties"]["diameter_m"] for f in bigger["features"] if "diameter_m" in f["properties"]
    ]
    assert sum(larger) > sum(sizes)
    assert bad.status_code == 422


def test_site_without_streets_is_404(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    config = Config.model_validate(
        {
            "store": {"type": "sqlite", "path": str(tmp_path / "db.sqlite")},
            "media": {"path": str(tmp_path / "media")},
            "site": {"center": [126.95, 37.54]},
        }
    )
    services = Services(config, start_workers=False)
    with TestClient(create_app(services)) as client:
        client.headers.update(grant(services.store, "planner", "planner"))
        missing = client.get("/api/flood/network")
    assert missing.status_code == 404
    assert "too few streets" in missing.json()["detail"]
