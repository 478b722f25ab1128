"""/ngsi-ld/v1/entities: create, retrieve, query, attributes, batch, errors."""

import json

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

ERR = "https://uri.etsi.org/ngsi-ld/errors/"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"


def zone(n: int, count: int = 10, lon: float = 126.95) -> dict[str, object]:
    return {
        "id": f"urn:ngsi-ld:CrowdFlowObserved:cam:{n}",
        "type": "CrowdFlowObserved",
        "peopleCount": {"type": "Property", "value": count, "observedAt": "2026-12-06T00:00:00Z"},
        "riskLevel": {"type": "Property", "value": "caution" if count > 50 else "normal"},
        "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Camera:cam"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [lon, 37.54]},
        },
    }


def test_create_then_retrieve_round_trips(client: TestClient) -> None:
    created = client.post("/ngsi-ld/v1/entities", json=zone(1))
    assert created.status_code == 201
    assert created.headers["location"] == "/ngsi-ld/v1/entities/urn:ngsi-ld:CrowdFlowObserved:cam:1"
    got = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:CrowdFlowObserved:cam:1")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/json")
    assert CORE in got.headers["link"]
    body = got.json()
    assert body["peopleCount"]["value"] == 10
    assert body["peopleCount"]["observedAt"] == "2026-12-06T00:00:00.000Z"
    assert body["refDevice"] == {"type": "Relationship", "object": "urn:ngsi-ld:Camera:cam"}


def test_key_values_and_ld_json(client: TestClient) -> None:
    client.post("/ngsi-ld/v1/entities", json=zone(1))
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:CrowdFlowObserved:cam:1"
    simple = client.get(url, params={"options": "keyValues"}).json()
    assert simple["peopleCount"] == 10
    assert simple["refDevice"] == "urn:ngsi-ld:Camera:cam"
    ld = client.get(url, headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"].startswith("application/ld+json")
    assert ld.json()["@context"] == CORE


def test_user_context_compacts_names_and_other_contexts_see_iris(client: TestClient) -> None:
    body = {**zone(1), "@context": [{"peopleCount": "https://example.org/people"}, CORE]}
    response = client.post(
        "/ngsi-ld/v1/entities",
        content=json.dumps(body),
        headers={"Content-Type": "application/ld+json"},
    )
    assert response.status_code == 201
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:CrowdFlowObserved:cam:1"
    plain = client.get(url).json()
    assert "https://example.org/people" in plain  # no term for it under the core context
    assert "riskLevel" in plain  # default vocabulary compacts back
    linked = client.get(url, headers={"Link": _link_to_inline(client)})
    assert linked.status_code in (200, 503)


def _link_to_inline(client: TestClient) -> str:
    return f'<{CORE}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


@pytest.mark.parametrize(
    ("content", "content_type", "problem", "status"),
    [
        ("{not json", "application/json", "InvalidRequest", 400),
        ('{"type": "T"}', "application/json", "BadRequestData", 400),
        ('{"id": "not a uri", "type": "T"}', "application/json", "BadRequestData", 400),
        (
            '{"id": "urn:a:b", "type": "T", "x": {"type": "Wrong", "value": 1}}',
            "application/json",
            "BadRequestData",
            400,
        ),
        (
            '{"id": "urn:a:b", "type": "T", "x": {"type": "Relationship"}}',
            "application/json",
            "BadRequestData",
            400,
        ),
        (
            '{"id": "urn:a:b", "type": "T", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": "x"}}}',
            "application/json",
            "BadRequestData",
            400,
        ),
        ('{"id": "urn:a:b", "type": "T"}', "application/ld+json", "BadRequestData", 400),
        (
            '{"id": "urn:a:b", "type": "T", "@context": "x"}',
            "application/json",
            "BadRequestData",
            400,
        ),
        ('{"id": "urn:a:b", "type": "T"}', "text/plain", "UnsupportedMediaType", 415),
    ],
)
def test_bad_bodies_get_problem_details(
    client: TestClient, content: str, content_type: str, problem: str, status: int
) -> None:
    response = client.post(
        "/ngsi-ld/v1/entities", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["type"] == ERR + problem
    assert response.json()["status"] == status


def test_unknown_entity_is_404_and_duplicate_is_409(client: TestClient) -> None:
    missing = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:X:nobody")
    assert missing.status_code == 404
    assert missing.json()["type"] == ERR + "ResourceNotFound"
    assert client.post("/ngsi-ld/v1/entities", json=zone(1)).status_code == 201
    again = client.post("/ngsi-ld/v1/entities", json=zone(1))
    assert again.status_code == 409
    assert again.json()["type"] == ERR + "AlreadyExists"
    assert client.delete("/ngsi-ld/v1/entities/urn:ngsi-ld:X:nobody").status_code == 404


def test_query_by_type_q_geo_paging_and_count(client: TestClient) -> None:
    for n, (count, lon) in enumerate([(5, 126.95), (60, 126.951), (80, 127.5)]):
        assert client.post("/ngsi-ld/v1/entities", json=zone(n, count, lon)).status_code == 201
    base = "/ngsi-ld/v1/entities"
    busy = client.get(base, params={"type": "CrowdFlowObserved", "q": "peopleCount>50"}).json()
    assert [e["id"][-1] for e in busy] == ["1", "2"]
    both = client.get(
        base,
        params={
            "type": "CrowdFlowObserved",
            "q": 'peopleCount==1..10|riskLevel=="caution";peopleCount<70',
        },
    )
    assert [e["id"][-1] for e in both.json()] == ["0", "1"]
    near = client.get(
        base,
        params={
            "type": "CrowdFlowObserved",
            "georel": "near;maxDistance==500",
            "geometry": "Point",
            "coordinates": "[126.95, 37.54]",
        },
    ).json()
    assert [e["id"][-1] for e in near] == ["0", "1"]
    page = client.get(
        base, params={"type": "CrowdFlowObserved", "limit": 1, "offset": 1, "count": "true"}
    )
    assert page.headers["NGSILD-Results-Count"] == "3"
    assert [e["id"][-1] for e in page.json()] == ["1"]
    picked = client.get(base, params={"type": "CrowdFlowObserved", "attrs": "peopleCount"}).json()
    assert set(picked[0]) == {"id", "type", "peopleCount"}
    pattern = client.get(base, params={"idPattern": ":cam:[12]$"}).json()
    assert len(pattern) == 2
    assert client.get(base).status_code == 400
    assert (
        client.get(base, params={"type": "T", "q": "a=="}).json()["type"] == ERR + "BadRequestData"
    )
    assert client.get(base, params={"type": "T", "georel": "near"}).status_code == 400


def test_attribute_operations(client: TestClient) -> None:
    client.post("/ngsi-ld/v1/entities", json=zone(1))
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:CrowdFlowObserved:cam:1"
    appended = client.post(f"{url}/attrs", json={"density": {"type": "Property", "value": 2.5}})
    assert appended.status_code == 204
    partial = client.patch(f"{url}/attrs", json={"density": 3.0, "nothere": 1})
    assert partial.status_code == 207
    assert partial.json()["notUpdated"][0]["attributeName"] == "nothere"
    assert client.patch(f"{url}/attrs/peopleCount", json={"value": 42}).status_code == 204
    body = client.get(url).json()
    assert body["density"]["value"] == 3.0
    assert body["peopleCount"]["value"] == 42
    assert client.patch(f"{url}/attrs/absent", json={"value": 1}).status_code == 404
    assert client.delete(f"{url}/attrs/density").status_code == 204
    assert "density" not in client.get(url).json()
    assert client.delete(f"{url}/attrs/density").status_code == 404
    no_over = client.post(
        f"{url}/attrs", params={"options": "noOverwrite"}, json={"peopleCount": 1}
    )
    assert no_over.status_code == 207
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_batch_operations(client: TestClient) -> None:
    ops = "/ngsi-ld/v1/entityOperations"
    created = client.post(f"{ops}/create", json=[zone(1), zone(2)])
    assert created.status_code == 201
    assert created.json() == [zone(1)["id"], zone(2)["id"]]
    mixed = client.post(f"{ops}/create", json=[zone(2), zone(3), {"id": "bad"}])
    assert mixed.status_code == 207
    errors = {e["entityId"]: e["error"]["type"] for e in mixed.json()["errors"]}
    assert errors[zone(2)["id"]] == ERR + "AlreadyExists"
    assert errors["bad"] == ERR + "BadRequestData"
    upserted = client.post(f"{ops}/upsert", json=[zone(1, 99), zone(4)])
    assert upserted.status_code == 201
    assert upserted.json() == [zone(4)["id"]]
    assert client.post(f"{ops}/upsert", json=[zone(4, 7)]).status_code == 204
    count = client.get(f"/ngsi-ld/v1/entities/{zone(1)['id']}", params={"options": "keyValues"})
    assert count.json()["peopleCount"] == 99
    assert count.json()["riskLevel"] == "caution"
    update = client.post(f"{ops}/update", json=[zone(9)])
    assert update.status_code == 207
    deleted = client.post(f"{ops}/delete", json=[zone(1)["id"], "urn:ngsi-ld:X:none"])
    assert deleted.status_code == 207
    assert client.post(f"{ops}/frobnicate", json=[]).json()["type"] == ERR + "OperationNotSupported"
    assert client.post(f"{ops}/create", json={"id": "x"}).status_code == 400


def test_types_and_attributes(client: TestClient) -> None:
    client.post("/ngsi-ld/v1/entities", json=zone(1))
    client.post(
        "/ngsi-ld/v1/entities",
        json={"id": "urn:ngsi-ld:RainGauge:1", "type": "RainGauge", "rain": 3},
    )
    types = client.get("/ngsi-ld/v1/types").json()
    assert types["type"] == "EntityTypeList"
    assert types["typeList"] == ["CrowdFlowObserved", "RainGauge"]
    attrs = client.get("/ngsi-ld/v1/attributes").json()["attributeList"]
    assert {"peopleCount", "rain", "location"} <= set(attrs)
    info = client.get("/ngsi-ld/v1/types/CrowdFlowObserved").json()
    assert info["type"] == "EntityTypeInfo"
    assert info["entityCount"] == 1
    details = {d["attributeName"]: d["attributeTypes"] for d in info["attributeDetails"]}
    assert details["refDevice"] == ["Relationship"]
    assert client.get("/ngsi-ld/v1/types/Nothing").status_code == 404
    rain = client.get("/ngsi-ld/v1/attributes/rain").json()
    assert rain["typeNames"] == ["RainGauge"]
    assert client.get("/ngsi-ld/v1/attributes/nothing").status_code == 404


def test_post_query(client: TestClient) -> None:
    for n, count in enumerate([5, 60, 80]):
        client.post("/ngsi-ld/v1/entities", json=zone(n, count))
    query = {
        "type": "Query",
        "entities": [{"type": "CrowdFlowObserved"}],
        "q": "peopleCount>50",
        "attrs": ["peopleCount"],
    }
    found = client.post("/ngsi-ld/v1/entityOperations/query", json=query, params={"count": "true"})
    assert found.status_code == 200
    assert found.headers["NGSILD-Results-Count"] == "2"
    assert [set(e) for e in found.json()] == [{"id", "type", "peopleCount"}] * 2
    bad = client.post("/ngsi-ld/v1/entityOperations/query", json={"type": "Nope"})
    assert bad.status_code == 400


def test_routing_errors_under_ngsi_ld_are_problem_details(client: TestClient) -> None:
    missing = client.get("/ngsi-ld/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["type"] == ERR + "ResourceNotFound"
    not_allowed = client.put("/ngsi-ld/v1/types")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["type"] == ERR + "InvalidRequest"
    assert client.get("/api/nothing-here").json() == {"detail": "Not Found"}


def test_geojson_representation(client: TestClient) -> None:
    client.post("/ngsi-ld/v1/entities", json=zone(1))
    geo = {"Accept": "application/geo+json"}
    one = client.get(f"/ngsi-ld/v1/entities/{zone(1)['id']}", headers=geo)
    assert one.headers["content-type"].startswith("application/geo+json")
    assert one.json()["type"] == "Feature"
    assert one.json()["geometry"] == {"type": "Point", "coordinates": [126.95, 37.54]}
    assert one.json()["properties"]["peopleCount"]["value"] == 10
    many = client.get(
        "/ngsi-ld/v1/entities",
        params={"type": "CrowdFlowObserved", "options": "keyValues"},
        headers=geo,
    )
    assert many.json()["type"] == "FeatureCollection"
    assert many.json()["features"][0]["geometry"]["type"] == "Point"
    assert client.get("/ngsi-ld/v1/types", headers={"Accept": "text/html"}).status_code == 406


def test_an_entity_of_several_types_is_found_by_each(client: TestClient) -> None:
    body = {"id": "urn:ngsi-ld:Thing:1", "type": ["Camera", "Device"], "name": "gate"}
    assert client.post("/ngsi-ld/v1/entities", json=body).status_code == 201
    for entity_type in ("Camera", "Device"):
        found = client.get("/ngsi-ld/v1/entities", params={"type": entity_type}).json()
        assert [e["id"] for e in found] == ["urn:ngsi-ld:Thing:1"], entity_type
    assert client.get(f"/ngsi-ld/v1/entities/{body['id']}").json()["type"] == ["Camera", "Device"]
    replaced = {"type": "Camera", "name": "gate"}
    assert client.put(f"/ngsi-ld/v1/entities/{body['id']}", json=replaced).status_code == 204
    assert client.get("/ngsi-ld/v1/entities", params={"type": "Device"}).json() == []
