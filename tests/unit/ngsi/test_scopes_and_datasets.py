"""scopeQ (4.19), datasetId in q and answers (4.5.5), query validation and discovery details."""

from __future__ import annotations

import pytest
from conformance_samples import (
    ENTITIES,
    ERR,
    building,
    vehicle,
)
from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


def test_query_with_a_trailing_slash(client: TestClient) -> None:
    entity = {"id": "urn:ngsi-ld:T:1", "type": "T", "n": {"type": "Property", "value": 1}}
    client.post("/ngsi-ld/v1/entities", json=entity)
    found = client.get("/ngsi-ld/v1/entities/", params={"type": "T"})
    assert found.status_code == 200, found.text
    assert [e["id"] for e in found.json()] == ["urn:ngsi-ld:T:1"]


SCOPES = {
    1: "/Madrid",
    2: "/Madrid/Gardens",
    3: "/Madrid/Gardens/ParqueNorte",
    4: "/Madrid/District/Latina",
    5: "/Seoul/Gongdeok",
}


def scoped(client: TestClient) -> None:
    for n, scope in SCOPES.items():
        entity = {"id": f"urn:ngsi-ld:S:{n}", "type": "S", "scope": scope}
        assert client.post("/ngsi-ld/v1/entities", json=entity).status_code == 201
    plain = {"id": "urn:ngsi-ld:S:0", "type": "S", "n": {"type": "Property", "value": 0}}
    assert client.post("/ngsi-ld/v1/entities", json=plain).status_code == 201


SCOPE_CASES = [
    ("/Madrid", [1]),
    ("/Madrid/#", [1, 2, 3, 4]),
    ("/Madrid/+", [2]),
    ("/Madrid/+/Latina", [4]),
    ("/#", [1, 2, 3, 4, 5]),
    ("/Madrid/Gardens;/Madrid/Gardens/#", [2]),
    ("/Madrid|/Seoul/#", [1, 5]),
    ("/Madrid,/Seoul/Gongdeok", [1, 5]),
    ("(/Madrid/+|/Seoul/#);/Seoul/Gongdeok", [5]),
]


def test_scope_q(client: TestClient) -> None:
    scoped(client)
    for scope_q, expected in SCOPE_CASES:
        found = client.get(ENTITIES, params={"type": "S", "scopeQ": scope_q})
        assert found.status_code == 200, found.text
        ids = sorted(int(e["id"].rsplit(":", 1)[1]) for e in found.json())
        assert ids == expected, scope_q
        only = client.get(ENTITIES, params={"scopeQ": scope_q})
        assert len(only.json()) == len(expected), scope_q


def test_scope_q_errors_and_temporal(client: TestClient) -> None:
    scoped(client)
    for bad in ("Madrid", "/Madrid/#/x", "(/Madrid", "/Madrid;", "/Ma drid"):
        answer = client.get("/ngsi-ld/v1/entities", params={"type": "S", "scopeQ": bad})
        assert answer.status_code == 400, bad
        assert answer.json()["type"] == ERR + "BadRequestData"
    temporal = client.get(
        "/ngsi-ld/v1/temporal/entities", params={"type": "S", "scopeQ": "/Seoul/#"}
    )
    assert temporal.status_code == 200, temporal.text
    assert [e["id"] for e in temporal.json()] == ["urn:ngsi-ld:S:5"]


def test_q_sees_every_instance_and_its_dataset_id(client: TestClient) -> None:
    assert client.post(ENTITIES, json=vehicle()).status_code == 201

    def ids(q: str) -> list[str]:
        found = client.get(ENTITIES, params={"type": "Vehicle", "q": q})
        assert found.status_code == 200, found.text
        return [e["id"] for e in found.json()]

    assert ids("speed>50") == ["urn:ngsi-ld:Vehicle:1"]
    assert ids("speed==10") == ["urn:ngsi-ld:Vehicle:1"]
    assert ids("speed>100") == []
    assert ids('speed.datasetId=="urn:ngsi-ld:Dataset:gps"') == ["urn:ngsi-ld:Vehicle:1"]
    assert ids('speed.datasetId=="urn:ngsi-ld:Dataset:other"') == []


def test_dataset_id_parameter_on_retrieve_query_and_temporal(client: TestClient) -> None:
    assert client.post(ENTITIES, json=vehicle()).status_code == 201
    url = f"{ENTITIES}/urn:ngsi-ld:Vehicle:1"
    gps = client.get(url, params={"datasetId": "urn:ngsi-ld:Dataset:gps"}).json()
    assert gps["speed"]["value"] == 99
    default = client.get(url, params={"datasetId": "@none"}).json()
    assert default["speed"] == {"type": "Property", "value": 10}
    both = client.get(url).json()
    assert len(both["speed"]) == 2
    listed = client.get(ENTITIES, params={"type": "Vehicle", "datasetId": "@none"}).json()
    assert listed[0]["speed"]["value"] == 10
    fragment = {"speed": {"type": "Property", "value": 98, "datasetId": "urn:ngsi-ld:Dataset:gps"}}
    assert client.post(f"{url}/attrs", json=fragment).status_code == 204
    temporal = client.get(
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Vehicle:1",
        params={"datasetId": "urn:ngsi-ld:Dataset:gps"},
    )
    assert temporal.status_code == 200, temporal.text
    values = sorted(i["value"] for i in temporal.json()["speed"])
    assert values == [98, 99]
    assert all(i["datasetId"] == "urn:ngsi-ld:Dataset:gps" for i in temporal.json()["speed"])
    bad = client.get(url, params={"datasetId": ","})
    assert bad.status_code == 400


def test_query_validation_edges(client: TestClient) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    for params in [
        {"attrs": "createdAt"},
        {"type": "Building", "q": 'owner{name}=="x"'},
        {"type": "Building", "csf": "))bad(("},
    ]:
        answer = client.get(ENTITIES, params=params)
        assert answer.status_code == 400, params
        assert answer.json()["type"] == ERR + "BadRequestData"
    ordered = client.get(ENTITIES, params={"type": "Building", "orderBy": "name"})
    assert ordered.json()["type"] == ERR + "InvalidRequest"  # V1.9, not offered
    fine = client.get(ENTITIES, params={"type": "Building", "csf": "endpoint==x"})
    assert fine.status_code == 200


def test_attribute_details(client: TestClient) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    details = client.get("/ngsi-ld/v1/attributes", params={"details": "true"}).json()
    by_name = {d["attributeName"]: d for d in details}
    assert by_name["airQualityLevel"] == {
        "id": "https://uri.etsi.org/ngsi-ld/default-context/airQualityLevel",
        "type": "Attribute",
        "attributeName": "airQualityLevel",
        "typeNames": ["Building"],
    }
    assert client.get("/ngsi-ld/v1/attributes/").json()["type"] == "AttributeList"
