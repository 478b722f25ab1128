"""POST /api/events: the document gives each kind's payload, and the route holds to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.messages import PAYLOAD_OF_KIND, EventKind

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - {{id: cam-a, source: {{url: a.mp4}}}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
service: {{allow_event_injection: true}}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp: Path = tmp_path_factory.mktemp("posted")
    services = Services(
        parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media")),
        start_workers=False,
    )
    with TestClient(create_app(services)) as client:
        client.headers.update(grant(services.store, "feed", "integrator"))
        yield client


def _body(kind: str, frame: int, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "camera_id": "cam-a",
        "rule_id": "r",
        "occurred_at": "2026-12-06T10:00:00+09:00",
        "frame_index": frame,
        "class_name": "person",
        "confidence": 0.8,
    }
    if payload is not None:
        body["payload"] = payload
    return body


def test_the_document_maps_every_kind_to_its_payload(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/api/events"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    mapping = schema["discriminator"]["mapping"]
    assert schema["discriminator"]["propertyName"] == "kind"
    assert sorted(mapping) == sorted(k.value for k in EventKind)
    assert len(schema["oneOf"]) == len(set(mapping.values()))
    for kind, ref in mapping.items():
        payload = schemas[ref.rsplit("/", 1)[1]]["properties"]["payload"]
        expected = PAYLOAD_OF_KIND[EventKind(kind)].__name__
        assert payload.get("$ref", "").endswith(f"/{expected}"), (kind, payload)


def test_a_payload_that_does_not_fit_its_kind_is_a_422(client: TestClient) -> None:
    missing = client.post("/api/events", json=_body("flood", 1))
    assert missing.status_code == 422
    assert any(e["loc"][-1] == "payload" for e in missing.json()["detail"])
    crossing = {"type": "crossing", "direction": "in"}
    wrong = client.post("/api/events", json=_body("intrusion", 2, crossing))
    assert wrong.status_code == 422


def test_a_payload_that_fits_is_created(client: TestClient) -> None:
    flood = {"type": "flood", "level": "alert", "value": 12.5}
    created = client.post("/api/events", json=_body("flood", 3, flood))
    assert created.status_code == 201, created.text
    assert created.json()["payload"] == {"type": "flood", "level": "alert", "value": 12.5,
                                         "region": None}  # fmt: skip
    assert created.json()["topic"]
    plain = client.post("/api/events", json=_body("intrusion", 4))
    assert plain.status_code == 201, plain.text
    assert plain.json()["payload"]["type"] == "object"
    stored = client.get(f"/api/events/{created.json()['id']}")
    assert stored.json()["payload"]["value"] == 12.5
