"""The OpenAPI document states what the NGSI-LD routes answer: statuses, types, bodies."""

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


def test_document_declares_real_statuses_and_types(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    create = paths["/ngsi-ld/v1/entities"]["post"]
    assert set(create["responses"]) >= {"201", "400", "409", "415"}
    assert "200" not in create["responses"]
    assert set(create["requestBody"]["content"]) == {"application/json", "application/ld+json"}
    query = paths["/ngsi-ld/v1/entities"]["get"]
    assert set(query["responses"]["200"]["content"]) == {
        "application/json",
        "application/ld+json",
        "application/geo+json",
    }
    assert {"406", "503"} <= set(query["responses"])
    names = {p["name"] for p in query["parameters"]}
    assert {"q", "limit", "count", "pick", "omit", "format", "NGSILD-Tenant"} <= names
    merge = paths["/ngsi-ld/v1/entities/{entity_id}"]["patch"]
    assert set(merge["responses"]) >= {"204", "404"}
    assert "422" not in paths["/ngsi-ld/v1/entities/{entity_id}"]["get"]["responses"]
    batch = paths["/ngsi-ld/v1/entityOperations/{operation}"]["post"]
    assert set(batch["responses"]) >= {"201", "204", "207", "422"}
    problem = query["responses"]["404"]["content"]["application/json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/NgsiProblem"}


def test_not_allowed_method_lists_the_documented_ones(client: TestClient) -> None:
    refused = client.post("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "PATCH", "DELETE"}
    assert refused.json()["status"] == 405
