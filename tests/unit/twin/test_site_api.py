"""The site model over HTTP: layers by kind, footprints, map zones with their warnings."""

from pathlib import Path

import pytest
from factories import grant

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")
REPO = Path(__file__).resolve().parents[3]

CONFIG = """
site:
  center: [126.9516, 37.5442]
  osm: {osm}
  zones:
    - {{id: seen, polygon: [[126.9512, 37.5443], [126.9518, 37.5443], [126.9518, 37.5440], [126.9512, 37.5440]]}}
    - {{id: nowhere, polygon: [[126.960, 37.550], [126.961, 37.550], [126.961, 37.551]]}}
cameras:
  - id: cam-a
    source: {{url: clip.mp4}}
    placement: {{lon: 126.9510, lat: 37.5444, heading_deg: 120, height_m: 8, tilt_deg: 25}}
  - id: cam-b
    source: {{url: clip.mp4}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


def test_layers_footprints_and_zones(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    config = parse_config(
        CONFIG.format(
            osm=REPO / "config" / "site" / "gongdeok.osm",
            db=tmp_path / "db.sqlite",
            media=tmp_path / "media",
        )
    )
    services = Services(config, start_workers=False)
    with TestClient(create_app(services)) as client:
        # A planner sees the twin (not live video): every site endpoint is theirs.
        client.headers.update(grant(services.store, "planner", "planner"))
        site = client.get("/api/site").json()
        buildings = client.get("/api/site/layers/buildings.geojson").json()
        footprints = client.get("/api/site/footprints.geojson").json()
        zones = client.get("/api/site/zones.geojson").json()
        missing = client.get("/api/site/layers/rivers.geojson")
    assert site["model"]["counts"]["buildings"] == len(buildings["features"]) > 20
    assert "OpenStreetMap" in site["attribution"]
    assert all(f["properties"]["height_m"] > 0 for f in buildings["features"])
    # Only the placed camera has a footprint; the other has no place on the map.
    assert [f["properties"]["camera_id"] for f in footprints["features"]] == ["cam-a"]
    by_id = {f["id"]: f["properties"] for f in zones["features"]}
    assert 0 < by_id["seen"]["visible_share"] <= 1
    assert by_id["seen"]["cameras"][0]["camera_id"] == "cam-a"
    assert by_id["nowhere"]["visible_share"] == 0
    assert by_id["nowhere"]["warning"] == "outside every camera footprint"
    assert missing.status_code == 404
    assert "map zone nowhere: outside every camera footprint" in caplog.text
