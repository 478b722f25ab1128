"""The twin projector: facts on the bus become cctwin's NGSI-LD entities."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import event_of, grant, observation_of, status_of
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.messages import CameraState, EventKind, ObservationKind

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - id: cam-1
    name: 공덕역 5번 출구
    source: {{url: clip.mp4}}
    placement: {{lon: 126.951, lat: 37.544, heading_deg: 90, fov_deg: 70, range_m: 40}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""
AT = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
ZONE = "urn:ngsi-ld:CrowdFlowObserved:cam-1:plaza"


@pytest.fixture
def twin_services(tmp_path: Path) -> Services:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "m"))
    return Services(config, start_workers=False)


def test_a_batch_of_facts_is_one_body_per_entity(twin_services: Services) -> None:
    facts = [
        observation_of(ObservationKind.CROWD_COUNT, "cam-1", "plaza", AT, 41.0),
        observation_of(ObservationKind.CROWD_DENSITY, "cam-1", "plaza", AT, 3.2, level="caution"),
        observation_of(ObservationKind.CROWD_SPEED, "cam-1", "plaza", AT, 2.5),
        status_of("cam-1", CameraState.ONLINE, AT, fps=12.5),
        event_of(
            kind=EventKind.FLOOD, camera_id="cam-1", rule_id="lane", occurred_at=AT,
            class_name="water", confidence=0.9, zone_id="lane", level="alert", value=21.0,
        ),
    ]  # fmt: skip
    bodies = {b["id"]: b for b in twin_services.twin.project(facts)}
    zone = bodies[ZONE]
    assert zone["type"] == "CrowdFlowObserved"
    assert zone["peopleCount"]["value"] == 41
    assert zone["density"]["value"] == 3.2
    assert zone["density"]["unitCode"] == "28"
    assert zone["riskLevel"]["value"] == "caution"
    assert zone["congested"]["value"] is True
    assert zone["averageCrowdSpeed"]["value"] == 9.0  # 2.5 m/s in Smart Data Models' km/h
    assert zone["averageCrowdSpeed"]["unitCode"] == "KMH"
    camera = bodies["urn:ngsi-ld:Camera:cam-1"]
    assert camera["location"]["value"]["coordinates"] == [126.951, 37.544]
    assert camera["fieldOfView"]["value"] == 70
    assert bodies["urn:ngsi-ld:Device:cam-1"]["deviceState"]["value"] == "online"
    flood = bodies["urn:ngsi-ld:FloodMonitoring:cam-1:lane"]
    assert flood["floodLevelStatus"]["value"] == "alert"


def test_facts_published_on_the_bus_are_live_over_ngsi_ld(twin_services: Services) -> None:
    with TestClient(create_app(twin_services, web_dir=Path("/nonexistent"))) as client:
        client.headers.update(grant(twin_services.store, "planner", "planner"))
        fact = observation_of(ObservationKind.CROWD_COUNT, "cam-1", "plaza", AT, 17.0)
        client.portal.call(twin_services.bus.publish, fact)  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        response = client.get(f"/ngsi-ld/v1/entities/{ZONE}")
        while response.status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.05)
            response = client.get(f"/ngsi-ld/v1/entities/{ZONE}")
        assert response.status_code == 200
        assert response.json()["peopleCount"]["value"] == 17
        history = client.get(f"/ngsi-ld/v1/temporal/entities/{ZONE}").json()
        assert history["peopleCount"][0]["observedAt"] == "2026-12-06T01:00:00.000Z"


def test_measures_are_published_about_once_a_second(twin_services: Services) -> None:
    twin = twin_services.twin
    at = [AT + timedelta(seconds=s) for s in (0.0, 0.3, 0.6, 1.2)]
    counts = [
        twin.project([observation_of(ObservationKind.CROWD_COUNT, "cam-1", "plaza", t, n)])
        for n, t in enumerate(at)
    ]
    assert [len(c) for c in counts] == [1, 0, 0, 1]
    assert counts[3][0]["peopleCount"]["value"] == 3
    level = observation_of(
        ObservationKind.CROWD_DENSITY, "cam-1", "plaza", at[1], 4.0, level="alert"
    )
    (body,) = twin.project([level])
    assert body["riskLevel"]["value"] == "alert"  # a state change is never held back
