"""GET /api/flood-monitoring: Smart Data Models `FloodMonitoring` entities from stored readings."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import grant, observation_of

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.types import ObservationKind

# Starlette's test client warns that it will move to another HTTP client; nothing to act on.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - id: cam-u
    name: 공덕 지하차도
    source: {{url: clip.mp4}}
    placement: {{lon: 126.95, lat: 37.54, heading_deg: 0, fov_deg: 60, range_m: 40}}
    analytics:
      flood:
        - id: lane
          name: 지하차도 1차로
          roi: [[0, 0.5], [1, 0.5], [1, 1]]
          reference_marks: [{{y: 0.9, level_cm: 0}}, {{y: 0.6, level_cm: 50}}]
          alert_level_cm: 15
          danger_level_cm: 30
        - id: footway
          roi: [[0, 0.5], [1, 0.5], [1, 1]]
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


def test_each_measured_roi_is_one_entity_with_its_name_levels_and_place(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    services = Services(config, start_workers=False)
    at = datetime(2026, 7, 14, 2, 30, tzinfo=UTC)
    services.store.add_observations(
        [
            observation_of(
                ObservationKind.FLOOD_COVERAGE, "cam-u", "lane", at, 0.62, level="alert"
            ),
            observation_of(ObservationKind.FLOOD_LEVEL, "cam-u", "lane", at, 21.0, level="alert"),
        ]
    )
    with TestClient(create_app(services)) as client:
        headers = grant(services.store, "planner", "planner")
        response = client.get("/api/flood-monitoring", headers=headers)
    assert response.status_code == 200
    (entity,) = response.json()  # the footway ROI has no reading yet, so no entity
    assert entity["id"] == "urn:ngsi-ld:FloodMonitoring:cam-u:lane"
    assert entity["type"] == "FloodMonitoring"
    assert entity["name"] == "지하차도 1차로"
    # Smart Data Models gives levels in metres; the config and observations use centimetres.
    assert entity["currentLevel"] == 0.21
    assert entity["alertLevel"] == 0.15
    assert entity["dangerLevel"] == 0.30
    assert entity["coveredFraction"] == 0.62
    assert entity["floodLevelStatus"] == "alert"
    assert entity["refDevice"] == "urn:ngsi-ld:Device:cam-u"
    assert entity["location"] == {"type": "Point", "coordinates": [126.95, 37.54]}
