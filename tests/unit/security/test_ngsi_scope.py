"""NGSI-LD answers cut to the caller's camera and zone scope, and what a scoped caller may do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.security import keys
from cctwin.security.entity_scope import EntityScope
from cctwin.security.roles import Principal, Role
from cctwin.security.zone_scope import ZoneScopes

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - id: cam-a
    source: {{url: a.mp4}}
    analytics:
      zones:
        - {{id: lawn, polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}}
        - {{id: plaza, polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]}}
      crowd:
        - {{id: lawn-crowd, zone: lawn}}
  - id: cam-b
    source: {{url: b.mp4}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""
LD = {"Content-Type": "application/ld+json"}
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"


def _crowd(camera: str, zone: str, count: int) -> dict[str, Any]:
    return {"id": f"urn:ngsi-ld:CrowdFlowObserved:{camera}:{zone}", "type": "CrowdFlowObserved",
            "peopleCount": {"type": "Property", "value": count}, "@context": CORE}  # fmt: skip


ENTITIES = [
    _crowd("cam-a", "lawn-crowd", 3),
    _crowd("cam-a", "plaza", 4),
    _crowd("cam-b", "dock", 5),
    {
        "id": "urn:ngsi-ld:Camera:cam-b",
        "type": "Camera",
        "name": {"type": "Property", "value": "B"},
        "@context": CORE,
    },
    {
        "id": "urn:ngsi-ld:Alert:x1",
        "type": "Alert",
        "alertSource": {"type": "Relationship", "object": "urn:ngsi-ld:Camera:cam-a"},
        "@context": CORE,
    },
    {
        "id": "urn:ngsi-ld:Alert:x2",
        "type": "Alert",
        "alertSource": {"type": "Relationship", "object": "urn:ngsi-ld:Camera:cam-a"},
        "zone": {"type": "Property", "value": "lawn"},
        "@context": CORE,
    },
    {
        "id": "urn:ngsi-ld:RainGauge:g7",
        "type": "RainGauge",
        "rainfall": {"type": "Property", "value": 12.5},
        "@context": CORE,
    },
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    tmp = tmp_path_factory.mktemp("ngsi-scope")
    config = parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media"))
    services = Services(config, start_workers=False)
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as client:
        writer = grant(services.store, "writer", "integrator")
        answer = client.post("/ngsi-ld/v1/entityOperations/upsert", json=ENTITIES,
                             headers=writer | LD)  # fmt: skip
        assert answer.status_code in (201, 204), answer.text
        yield client, services


def _ids(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {e["id"] for e in answer.json()}


def _zone_key(services: Services) -> dict[str, str]:
    full, key_id, secret_hash = keys.new_key()
    key = keys.ApiKey("lawn-op", key_id, secret_hash, Role.OPERATOR, None,
                      datetime.now(UTC), zones=frozenset({"lawn"}))  # fmt: skip
    services.store.add_key(key)
    return {"Authorization": f"Bearer {full}"}


def test_a_camera_scoped_caller_gets_only_its_cameras_entities(
    world: tuple[TestClient, Services],
) -> None:
    client, services = world
    everyone = grant(services.store, "all", "operator")
    cam_a = grant(services.store, "a-op", "operator", "cam-a")
    params = {"type": "CrowdFlowObserved,Camera,Alert,RainGauge"}
    assert len(_ids(client.get("/ngsi-ld/v1/entities", params=params, headers=everyone))) == 7
    seen = _ids(client.get("/ngsi-ld/v1/entities", params=params, headers=cam_a))
    assert seen == {
        "urn:ngsi-ld:CrowdFlowObserved:cam-a:lawn-crowd",
        "urn:ngsi-ld:CrowdFlowObserved:cam-a:plaza",
        "urn:ngsi-ld:Alert:x1",
        "urn:ngsi-ld:Alert:x2",
        "urn:ngsi-ld:RainGauge:g7",  # another system's sensor: the district's, not a camera's
    }
    # keyValues and the POST query are cut the same way
    simple = client.get("/ngsi-ld/v1/entities", params={**params, "options": "keyValues"},
                        headers=cam_a)  # fmt: skip
    assert _ids(simple) == seen
    query = {"type": "Query", "entities": [{"type": "CrowdFlowObserved"}]}
    posted = client.post("/ngsi-ld/v1/entityOperations/query", json=query, headers=cam_a)
    assert _ids(posted) == {i for i in seen if "CrowdFlowObserved" in i}
    other = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Camera:cam-b", headers=cam_a)
    assert other.status_code == 403
    assert "outside your scope" in other.json()["detail"]
    own = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:CrowdFlowObserved:cam-a:plaza",
                     headers=cam_a)  # fmt: skip
    assert own.status_code == 200


def test_a_zone_scoped_caller_gets_its_zones_readings_only(
    world: tuple[TestClient, Services],
) -> None:
    client, services = world
    lawn = _zone_key(services)
    params = {"type": "CrowdFlowObserved,Camera,Alert,RainGauge"}
    seen = _ids(client.get("/ngsi-ld/v1/entities", params=params, headers=lawn))
    # the crowd rule drawn on `lawn` counts as lawn
    assert seen == {
        "urn:ngsi-ld:CrowdFlowObserved:cam-a:lawn-crowd",
        "urn:ngsi-ld:Alert:x2",  # its zone is lawn; x1 names none
        "urn:ngsi-ld:RainGauge:g7",
    }
    history = client.get(
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:CrowdFlowObserved:cam-a:plaza", headers=lawn
    )
    assert history.status_code == 403


def test_a_scoped_caller_neither_writes_nor_subscribes(
    world: tuple[TestClient, Services],
) -> None:
    client, services = world
    full, key_id, secret_hash = keys.new_key()
    key = keys.ApiKey("a-int", key_id, secret_hash, Role.INTEGRATOR, frozenset({"cam-a"}),
                      datetime.now(UTC))  # fmt: skip
    services.store.add_key(key)
    scoped = {"Authorization": f"Bearer {full}"}
    gauge = {**ENTITIES[-1], "id": "urn:ngsi-ld:RainGauge:g8"}
    write = client.post("/ngsi-ld/v1/entities", json=gauge, headers=scoped | LD)
    assert write.status_code == 403
    assert "may only read entities" in write.json()["detail"]
    subscriptions = client.get("/ngsi-ld/v1/subscriptions", headers=scoped)
    assert subscriptions.status_code == 403
    assert client.get("/ngsi-ld/v1/types", headers=scoped).status_code == 200


def test_linked_cameras_are_read_in_every_representation() -> None:
    scope = EntityScope(ZoneScopes([]))
    cam_b = Principal("b", "key", Role.OPERATOR, cameras=frozenset({"cam-b"}))
    normalized = {"id": "urn:ngsi-ld:Alert:1",
                  "alertSource": {"type": "Relationship", "object": "urn:ngsi-ld:Camera:cam-a"}}  # fmt: skip
    simple = {"id": "urn:ngsi-ld:Alert:1", "alertSource": "urn:ngsi-ld:Camera:cam-a"}
    temporal = {"id": "urn:ngsi-ld:X:1", "https://smartdatamodels.org/refDevice": [
        {"type": "Relationship", "object": "urn:ngsi-ld:Device:cam-a"}]}  # fmt: skip
    lookahead = {"id": "urn:ngsi-ld:CrowdFlowObserved:sim:lookahead:cam-a:lawn"}
    what_if = {"id": "urn:ngsi-ld:CrowdFlowObserved:sim:festival:lawn"}
    for entity in (normalized, simple, temporal, lookahead):
        assert not scope.visible(cam_b, entity), entity
    assert scope.visible(cam_b, what_if)  # a simulation of no camera
    assert scope.visible(cam_b, {"id": "urn:ngsi-ld:Camera:cam-b"})
