"""Who may read and write the twin over NGSI-LD: VIEW_TWIN reads, WRITE_TWIN changes."""

from __future__ import annotations

from pathlib import Path

from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services

ENTITY = {
    "id": "urn:ngsi-ld:RainGauge:g1",
    "type": "RainGauge",
    "rainfall": {"type": "Property", "value": 12.5},
    "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
}
LD = {"Content-Type": "application/ld+json"}


def test_reading_needs_the_twin_and_writing_needs_write_twin(services: Services) -> None:
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as client:
        anonymous = client.get("/ngsi-ld/v1/types")
        planner = grant(services.store, "p", "planner")
        researcher = grant(services.store, "r", "researcher")
        integrator = grant(services.store, "i", "integrator")
        refused = client.post("/ngsi-ld/v1/entities", json=ENTITY, headers=planner | LD)
        created = client.post("/ngsi-ld/v1/entities", json=ENTITY, headers=integrator | LD)
        read = client.get(f"/ngsi-ld/v1/entities/{ENTITY['id']}", headers=planner)
        no_twin = client.get(f"/ngsi-ld/v1/entities/{ENTITY['id']}", headers=researcher)
    assert anonymous.status_code == 401
    assert refused.status_code == 403
    assert "write_twin" in refused.json()["detail"]
    assert created.status_code == 201
    assert read.status_code == 200
    assert read.json()["rainfall"]["value"] == 12.5
    assert no_twin.status_code == 403
