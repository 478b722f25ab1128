"""CIM 009 V1.8.1 temporal attribute operations and POST temporal query, as the ETSI suite's
Provision/TemporalEntityAttributes and Consumption/TemporalEntity cases exercise them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

ERR = "https://uri.etsi.org/ngsi-ld/errors/"
TEMPORAL = "/ngsi-ld/v1/temporal/entities"
VEHICLE = "urn:ngsi-ld:Vehicle:A1"
URL = f"{TEMPORAL}/{VEHICLE}"
FUEL_SET = "urn:ngsi-ld:Vehicle:12345-fuel"


def _property(value: object, at: str, **extra: object) -> dict[str, object]:
    return {"type": "Property", "value": value, "observedAt": at, **extra}


def vehicle(entity_id: str = VEHICLE) -> dict[str, object]:
    """The shape of the suite's vehicle-temporal-representation sample."""
    return {
        "id": entity_id,
        "type": "Vehicle",
        "speed": [
            _property(120, "2020-09-01T12:03:00Z"),
            _property(80, "2020-09-01T12:05:00Z"),
        ],
        "fuelLevel": [
            _property(67, "2020-09-01T12:03:00Z"),
            _property(53, "2020-09-01T13:05:00Z"),
            _property(40, "2020-09-01T14:07:00Z", datasetId=FUEL_SET),
        ],
    }


@pytest.fixture
def created(client: TestClient) -> TestClient:
    answer = client.post(TEMPORAL, json=vehicle())
    assert answer.status_code == 201, answer.text
    return client


def values(client: TestClient, attr: str, **params: str) -> list[object]:
    got = client.get(URL, params=params)
    assert got.status_code == 200, got.text
    return [i["value"] for i in got.json().get(attr, [])]


def test_instances_carry_stable_instance_ids(created: TestClient) -> None:
    # 016_01, 017_01 read ['speed'][0]['instanceId'] from a retrieval.
    first = created.get(URL).json()
    again = created.get(URL, params={"lastN": "5"}).json()
    ids = [i["instanceId"] for i in first["speed"] + first["fuelLevel"]]
    assert all(i.startswith("urn:ngsi-ld:Instance:") for i in ids)
    assert len(set(ids)) == 5
    assert [i["instanceId"] for i in again["speed"]] == ids[:2]


def test_create_keeps_the_latest_instance_per_dataset_as_current(created: TestClient) -> None:
    # 007_01: the entity's current state; the datasetId instance is not the default one.
    entity = created.get(f"/ngsi-ld/v1/entities/{VEHICLE}").json()
    fuel = entity["fuelLevel"]
    assert isinstance(fuel, list)
    assert sorted((f["value"], f.get("datasetId")) for f in fuel) == [(40, FUEL_SET), (53, None)]


def test_append_attribute_instances(created: TestClient) -> None:
    # 014_01: POST /temporal/entities/{id}/attrs with an array of instances -> 204.
    fragment = {
        "added_attribute": [
            _property(120, "2020-09-01T12:03:00Z"),
            _property(80, "2020-09-01T12:05:00Z"),
            _property(100, "2020-09-01T12:07:00Z"),
        ]
    }
    answer = created.post(f"{URL}/attrs", json=fragment)
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    assert values(created, "added_attribute") == [120, 80, 100]
    assert values(created, "speed") == [120, 80]  # the others as they were
    # A single instance object is one instance.
    one = {"speed": _property(95, "2020-09-01T12:09:00Z")}
    assert created.post(f"{URL}/attrs", json=one).status_code == 204
    assert values(created, "speed") == [120, 80, 95]


def test_append_to_unknown_entity_or_bad_body(created: TestClient) -> None:
    # 014_02 / 014_03: unknown entity 404, bad fragment 400.
    missing = created.post(f"{TEMPORAL}/urn:ngsi-ld:Vehicle:none/attrs", json={"a": []})
    assert missing.status_code == 404
    assert missing.json()["type"] == ERR + "ResourceNotFound"
    bad = created.post(f"{URL}/attrs", json={"speed": [{"type": "Property"}]})
    assert bad.status_code == 400
    assert bad.json()["type"] == ERR + "BadRequestData"
    not_object = created.post(f"{URL}/attrs", json=[1, 2])
    assert not_object.status_code == 400


def test_delete_attribute_default_instances(created: TestClient) -> None:
    # 015_01_01: without datasetId only the default series goes.
    answer = created.delete(f"{URL}/attrs/fuelLevel")
    assert answer.status_code == 204, answer.text
    got = created.get(URL).json()
    assert [(i["value"], i.get("datasetId")) for i in got["fuelLevel"]] == [(40, FUEL_SET)]
    assert [i["value"] for i in got["speed"]] == [120, 80]


def test_delete_attribute_dataset_instances(created: TestClient) -> None:
    # 015_01_02: datasetId=... deletes that series only.
    answer = created.delete(f"{URL}/attrs/fuelLevel", params={"datasetId": FUEL_SET})
    assert answer.status_code == 204, answer.text
    assert values(created, "fuelLevel") == [67, 53]


def test_delete_attribute_all_instances(created: TestClient) -> None:
    # 015_01_03: deleteAll=true deletes every instance of the attribute.
    answer = created.delete(f"{URL}/attrs/fuelLevel", params={"deleteAll": "true"})
    assert answer.status_code == 204, answer.text
    got = created.get(URL).json()
    assert "fuelLevel" not in got
    assert [i["value"] for i in got["speed"]] == [120, 80]


def test_delete_attribute_unknown(created: TestClient) -> None:
    # 015_02 / 015_03: unknown attribute or entity -> 404 ResourceNotFound.
    for url in (f"{URL}/attrs/nothing", f"{TEMPORAL}/urn:ngsi-ld:Vehicle:none/attrs/speed"):
        answer = created.delete(url)
        assert answer.status_code == 404, url
        assert answer.json()["type"] == ERR + "ResourceNotFound"
    unknown_set = created.delete(f"{URL}/attrs/speed", params={"datasetId": "urn:x:y"})
    assert unknown_set.status_code == 404


def test_partial_update_of_an_instance_keeps_its_id(created: TestClient) -> None:
    # 016_01: PATCH .../attrs/speed/{instanceId} -> 204, same instanceId, new value.
    before = created.get(URL).json()["speed"][0]["instanceId"]
    fragment = {"type": "Property", "value": 129, "observedAt": "2020-09-01T12:03:00Z"}
    answer = created.patch(f"{URL}/attrs/speed/{before}", json=fragment)
    assert answer.status_code == 204, answer.text
    after = created.get(URL).json()["speed"]
    assert after[0]["instanceId"] == before
    assert [i["value"] for i in after] == [129, 80]
    # Only the members given change: a new observedAt moves the instance in time.
    later = {"observedAt": "2020-09-01T12:06:00Z"}
    assert created.patch(f"{URL}/attrs/speed/{before}", json=later).status_code == 204
    moved = created.get(URL).json()["speed"]
    assert [(i["value"], i["instanceId"] == before) for i in moved] == [(80, False), (129, True)]


def test_partial_update_of_unknown_instance(created: TestClient) -> None:
    # 016_02 / 016_03: unknown instance or entity -> 404; a bad fragment -> 400.
    speed = created.get(URL).json()["speed"][0]["instanceId"]
    fragment = {"value": 1}
    for url in (
        f"{URL}/attrs/speed/urn:ngsi-ld:Instance:999999",
        f"{URL}/attrs/fuelLevel/{speed}",  # an instance of another attribute
        f"{URL}/attrs/speed/urn:other:1",
        f"{TEMPORAL}/urn:ngsi-ld:Vehicle:none/attrs/speed/{speed}",
    ):
        answer = created.patch(url, json=fragment)
        assert answer.status_code == 404, url
        assert answer.json()["type"] == ERR + "ResourceNotFound"
    bad = created.patch(f"{URL}/attrs/speed/{speed}", json={"value": None})
    assert bad.status_code == 400


def test_delete_an_instance(created: TestClient) -> None:
    # 017_01: DELETE .../attrs/speed/{instanceId} -> 204; 017_02/03: then 404.
    first = created.get(URL).json()["speed"][0]["instanceId"]
    answer = created.delete(f"{URL}/attrs/speed/{first}")
    assert answer.status_code == 204, answer.text
    assert values(created, "speed") == [80]
    again = created.delete(f"{URL}/attrs/speed/{first}")
    assert again.status_code == 404
    assert again.json()["type"] == ERR + "ResourceNotFound"


def test_last_n_per_attribute_and_dataset(created: TestClient) -> None:
    # 5.7.4 / 020_xx: lastN counts each attribute's instances per datasetId.
    got = created.get(URL, params={"lastN": "1"}).json()
    fuel = [(i["value"], i.get("datasetId")) for i in got["fuelLevel"]]
    assert fuel == [(53, None), (40, FUEL_SET)]
    assert [i["value"] for i in got["speed"]] == [80]
    only = created.get(URL, params={"lastN": "1", "datasetId": "@none"}).json()
    assert [i["value"] for i in only["fuelLevel"]] == [53]


def test_post_temporal_query(created: TestClient) -> None:
    # 021_xx via POST (6.24): a Query body with temporalQ, options in the URL.
    created.post(TEMPORAL, json=vehicle("urn:ngsi-ld:Vehicle:B2"))
    query = {
        "type": "Query",
        "entities": [{"type": "Vehicle"}],
        "attrs": ["speed"],
        "temporalQ": {
            "timerel": "between",
            "timeAt": "2020-09-01T12:04:00Z",
            "endTimeAt": "2020-09-01T13:06:00Z",
        },
    }
    url = "/ngsi-ld/v1/temporal/entityOperations/query"
    answer = created.post(url, json=query, params={"count": "true", "limit": "1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["NGSILD-Results-Count"] == "2"
    (first,) = answer.json()
    assert first["id"] == VEHICLE
    assert [i["value"] for i in first["speed"]] == [80]
    assert "fuelLevel" not in first
    simple = created.post(url, json=query, params={"options": "temporalValues"}).json()
    assert simple[1]["speed"]["values"] == [[80, "2020-09-01T12:05:00Z"]]
    aggregated = {**query, "temporalQ": {"timerel": "after", "timeAt": "2020-08-01T12:00:00Z"}}
    aggregated["temporalQ"]["aggrMethods"] = ["avg", "max"]  # type: ignore[index]
    avg = created.post(url, json=aggregated, params={"options": "aggregatedValues"})
    assert avg.status_code == 200, avg.text
    assert avg.json()[0]["speed"]["avg"][0][0] == 100
    assert avg.json()[0]["speed"]["max"][0][0] == 120


def test_post_temporal_query_refuses_bad_bodies(created: TestClient) -> None:
    # 021_xx: a body that is not a Query, a bad timerel or lastN -> 400 BadRequestData.
    url = "/ngsi-ld/v1/temporal/entityOperations/query"
    base = {"type": "Query", "entities": [{"type": "Vehicle"}]}
    for body in (
        {"entities": [{"type": "Vehicle"}]},
        {**base, "temporalQ": {"timerel": "during", "timeAt": "2020-08-01T12:00:00Z"}},
        {**base, "temporalQ": {"timerel": "between", "timeAt": "2020-08-01T12:00:00Z"}},
        {**base, "temporalQ": {"lastN": 0}},
        {**base, "temporalQ": {"lastN": 1.5}},
        {**base, "temporalQ": "after"},
    ):
        answer = created.post(url, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["type"] == ERR + "BadRequestData"


def test_document_declares_the_temporal_operations(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    base = "/ngsi-ld/v1/temporal/entities/{entity_id}/attrs"
    assert set(paths[base]["post"]["responses"]) >= {"204", "400", "404"}
    delete = paths[base + "/{attr}"]["delete"]
    assert {p["name"] for p in delete["parameters"]} >= {"datasetId", "deleteAll"}
    instance = paths[base + "/{attr}/{instance_id}"]
    assert set(instance) >= {"patch", "delete"}
    query = paths["/ngsi-ld/v1/temporal/entityOperations/query"]["post"]
    assert "requestBody" in query
    assert set(query["responses"]) >= {"200", "400"}


def test_invalid_ids_and_names_are_bad_requests(created: TestClient) -> None:
    # 016_02, 017_02, 015_02: invalid entity id, instanceId or attribute name -> 400;
    # 016_02_04/06: PATCH without an instanceId or attribute name -> 405.
    speed = created.get(URL).json()["speed"][0]["instanceId"]
    fragment = {"value": 1}
    for method, url in (
        ("PATCH", f"{TEMPORAL}/invalidId/attrs/speed/{speed}"),
        ("PATCH", f"{URL}/attrs/speed/invalidId"),
        ("PATCH", f"{URL}/attrs/invalid(Id/{speed}"),
        ("DELETE", f"{TEMPORAL}/invalidId/attrs/speed/{speed}"),
        ("DELETE", f"{URL}/attrs/speed/invalidId"),
        ("DELETE", f"{URL}/attrs/invalid(Name/{speed}"),
        ("DELETE", f"{URL}/attrs//{speed}"),
        ("DELETE", f"{TEMPORAL}/invalidId/attrs/speed"),
        ("DELETE", f"{URL}/attrs/invalid(Name"),
        ("DELETE", f"{URL}/attrs/%2e%2e"),
        ("DELETE", f"{URL}/attrs/%252e%252e"),
        ("POST", f"{TEMPORAL}/thisIsAninvalidId/attrs"),
    ):
        body = fragment if method != "DELETE" else None
        answer = created.request(method, url, json=body)
        assert answer.status_code == 400, (method, url, answer.text)
        assert answer.json()["type"] == ERR + "BadRequestData"
    for url in (f"{URL}/attrs/speed/", f"{URL}/attrs//{speed}"):
        assert created.patch(url, json=fragment).status_code == 405, url
    assert created.get(URL).status_code == 200  # nothing was deleted on the way
    unknown = created.delete(f"{URL}/attrs/speed/urn:ngsi-ld:01234567890123456789")
    assert unknown.status_code == 404  # 017_03_03: a URI, not one of ours


def test_upsert_replaces_instances_at_the_same_instant(created: TestClient) -> None:
    # 008_01: a second POST adds instances; one at the observedAt (and datasetId) of a kept
    # instance replaces it (120 -> 121 at 12:03, 80 at 12:05 stays one instance).
    update = {
        "id": VEHICLE,
        "type": "Vehicle",
        "speed": [
            _property(121, "2020-09-01T12:03:00Z"),
            _property(80, "2020-09-01T12:05:00Z"),
            _property(100, "2020-09-01T12:07:00Z"),
        ],
        "fuelLevel": [
            _property(67, "2020-09-01T12:03:00Z"),
            _property(53, "2020-09-01T13:05:00Z"),
            _property(40, "2020-09-01T14:07:00Z"),
        ],
    }
    answer = created.post(TEMPORAL, json=update)
    assert answer.status_code == 204, answer.text
    got = created.get(URL).json()
    assert [i["value"] for i in got["speed"]] == [121, 80, 100]
    fuel = sorted((i["value"], i.get("datasetId") or "") for i in got["fuelLevel"])
    assert fuel == [(40, ""), (40, FUEL_SET), (53, ""), (67, "")]


def test_pick_and_omit_on_temporal_answers(created: TestClient) -> None:
    # 020_21 / 021_xx (4.21): pick and omit name id, type and attributes.
    picked = created.get(URL, params={"pick": "speed"}).json()
    assert set(picked) == {"speed"}
    assert [i["value"] for i in picked["speed"]] == [120, 80]
    assert set(created.get(URL, params={"pick": "id,speed"}).json()) == {"id", "speed"}
    assert set(created.get(URL, params={"omit": "type,speed"}).json()) == {"id", "fuelLevel"}
    listed = created.get(TEMPORAL, params={"type": "Vehicle", "omit": "speed"}).json()
    assert [set(e) for e in listed] == [{"id", "type", "fuelLevel"}]
    assert created.get(URL, params={"pick": ","}).status_code == 400


def test_post_temporal_query_aggregation_members(created: TestClient) -> None:
    # 021_27_07/08, 5244_01 (5.2.21, 5.2.44): aggrMethods in temporalQ or aggrParams asks for
    # the aggregated representation; a bad method, duration or timeproperty is 400.
    url = "/ngsi-ld/v1/temporal/entityOperations/query"
    base = {"type": "Query", "entities": [{"type": "Vehicle"}]}
    after = {"timerel": "after", "timeAt": "2020-08-01T12:00:00Z"}
    for body in (
        {**base, "temporalQ": {**after, "aggrMethods": ["avg"]}},
        {**base, "temporalQ": {**after, "aggrMethods": "avg,max"}},
        {**base, "temporalQ": after, "aggrParams": {"aggrMethods": ["avg"]}},
    ):
        answer = created.post(url, json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()[0]["speed"]["avg"][0][0] == 100
        assert "instanceId" not in answer.text
    for body, word in (
        ({**base, "aggrParams": {"aggrMethods": ["bogus"]}}, "aggrMethods"),
        (
            {**base, "temporalQ": {**after, "aggrMethods": ["avg"], "aggrPeriodDuration": "x"}},
            "aggrPeriodDuration",
        ),
        ({**base, "temporalQ": {**after, "timeproperty": "expiresAt"}}, "timeproperty"),
    ):
        answer = created.post(url, json=body)
        assert answer.status_code == 400, body
        assert word in answer.json()["detail"]
    last = {**base, "temporalQ": {**after, "lastN": 1}}
    one = created.post(url, json=last).json()[0]
    assert [i["value"] for i in one["speed"]] == [80]


def test_aggregation_periods_start_at_the_first_instance(client: TestClient) -> None:
    # 020_11_01 (4.5.19): without timeAt the hourly periods count from the earliest instance
    # of the asked attributes; times are written in whole seconds as clients send them.
    body = {
        "id": VEHICLE,
        "type": "Vehicle",
        "speed": [
            _property(120, "2020-08-01T12:03:00Z"),
            _property(80, "2020-08-01T12:05:00Z"),
            _property(100, "2020-08-01T12:07:00Z"),
        ],
        "fuelLevel": [
            _property(67, "2020-08-01T12:03:00Z"),
            _property(53, "2020-08-01T13:05:00Z"),
            _property(40, "2020-08-01T14:07:00Z"),
        ],
    }
    assert client.post(TEMPORAL, json=body).status_code == 201
    params = {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "PT1H"}
    got = client.get(URL, params=params).json()
    assert got["speed"] == {
        "type": "Property",
        "avg": [[100.0, "2020-08-01T12:03:00Z", "2020-08-01T13:03:00Z"]],
    }
    assert [a[:2] for a in got["fuelLevel"]["avg"]] == [
        [67.0, "2020-08-01T12:03:00Z"],
        [53.0, "2020-08-01T13:03:00Z"],
        [40.0, "2020-08-01T14:03:00Z"],
    ]


def test_temporal_values_of_each_attribute_kind(client: TestClient) -> None:
    # 020_16_02, 020_17/18 (4.5.9): languageMaps, vocabs, jsons wrap each value in its member.
    at = "2020-08-01T12:03:00Z"
    body = {
        "id": VEHICLE,
        "type": "Vehicle",
        "street": [{"type": "LanguageProperty", "languageMap": {"fr": "Place"}, "observedAt": at}],
        "category": [{"type": "VocabProperty", "vocab": "monument", "observedAt": at}],
        "config": [{"type": "JsonProperty", "json": {"value": 1}, "observedAt": at}],
        "parking": [{"type": "Relationship", "object": "urn:ngsi-ld:P:1", "observedAt": at}],
    }
    assert client.post(TEMPORAL, json=body).status_code == 201, body
    got = client.get(URL, params={"options": "temporalValues"}).json()
    assert got["street"]["languageMaps"] == [[{"languageMap": {"fr": "Place"}}, at]]
    assert got["category"]["vocabs"] == [[{"vocab": "monument"}, at]]
    assert got["config"]["jsons"] == [[{"json": {"value": 1}}, at]]
    assert got["parking"] == {"type": "Relationship", "objects": [["urn:ngsi-ld:P:1", at]]}


def test_pick_omit_conflicts_are_bad_requests(created: TestClient) -> None:
    # 018_18, 019_18, 020_22, 021_22 (4.21): a name both picked and omitted, or pick/omit
    # with attrs -> 400 BadRequestData, on entities and temporal entities alike.
    entity = f"/ngsi-ld/v1/entities/{VEHICLE}"
    for params in (
        {"pick": "speed", "omit": "speed"},
        {"pick": "speed", "attrs": "fuelLevel"},
        {"omit": "speed", "attrs": "fuelLevel"},
    ):
        for url, extra in ((URL, {}), (TEMPORAL, {"type": "Vehicle"}), (entity, {})):
            answer = created.get(url, params={**params, **extra})
            assert answer.status_code == 400, (url, params)
            assert answer.json()["type"] == ERR + "BadRequestData"


def test_discovery_refuses_parameters_it_does_not_define(created: TestClient) -> None:
    # 577_01_02, 5710_01_03 (6.3.20): /types/{t}?details, /attributes?limit -> InvalidRequest;
    # 5710_01_01/02: unknown attributes and entity members are not found.
    for url, params in (
        ("/ngsi-ld/v1/types/Vehicle", {"details": "true"}),
        ("/ngsi-ld/v1/attributes", {"limit": "5"}),
        ("/ngsi-ld/v1/attributes/speed", {"details": "true"}),
        ("/ngsi-ld/v1/types", {"limit": "5"}),
    ):
        answer = created.get(url, params=params)
        assert answer.status_code == 400, url
        assert answer.json()["type"] == ERR + "InvalidRequest"
    listed = created.get("/ngsi-ld/v1/attributes", params={"count": "true", "local": "true"})
    assert listed.status_code == 200
    assert listed.headers["NGSILD-Results-Count"] == str(len(listed.json()["attributeList"]))
    for member in ("id", "type", "scope", "createdAt", "noSuchAttribute"):
        assert member not in listed.json()["attributeList"]
        assert created.get(f"/ngsi-ld/v1/attributes/{member}").status_code == 404
    assert created.get("/ngsi-ld/v1/types/NoSuchType").status_code == 404


def test_type_selector_gates_retrieve_and_delete(client: TestClient) -> None:
    # 566_01 (5.6.6, 5.7.1): ?type names the entity's type, or it is not found (and stays).
    entity = "/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:T1"
    body = {"id": "urn:ngsi-ld:Vehicle:T1", "type": "Building"}
    assert client.post("/ngsi-ld/v1/entities", json=body).status_code == 201
    assert client.delete(entity, params={"type": "Vehicle"}).status_code == 404
    assert client.get(entity, params={"type": "Vehicle"}).status_code == 404
    assert client.get(entity, params={"type": "Building"}).status_code == 200
    assert client.delete(entity, params={"type": "Building"}).status_code == 204
    assert client.get(entity).status_code == 404


def test_batches_with_null_items_or_nothing_are_refused_whole(client: TestClient) -> None:
    # 567_01 (5.6.7.4): [entity, null] and [] -> 400 BadRequestData; nothing is created.
    ops = "/ngsi-ld/v1/entityOperations/"
    item = {"id": "urn:ngsi-ld:Vehicle:N1", "type": "Vehicle"}
    for operation in ("create", "upsert", "update", "merge", "delete"):
        first = item if operation != "delete" else item["id"]
        for batch in ([first, None], []):
            answer = client.post(ops + operation, json=batch)
            assert answer.status_code == 400, (operation, batch)
            assert answer.json()["type"] == ERR + "BadRequestData"
    assert client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:N1").status_code == 404


def test_type_selector_gates_attribute_writes(client: TestClient) -> None:
    # 563_01 (5.6.3, 4.17): POST .../attrs?type=Vehicle on a Building -> 404, no write.
    entity = "/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:T2"
    name = {"type": "Property", "value": "x"}
    body = {"id": "urn:ngsi-ld:Vehicle:T2", "type": "Building", "name": name}
    assert client.post("/ngsi-ld/v1/entities", json=body).status_code == 201
    fragment = {"name": {"type": "Property", "value": "y"}}
    refused = client.post(f"{entity}/attrs", json=fragment, params={"type": "Vehicle"})
    assert refused.status_code == 404
    assert client.patch(entity, json=fragment, params={"type": "Vehicle"}).status_code == 404
    assert client.get(entity).json()["name"]["value"] == "x"
    done = client.post(f"{entity}/attrs", json=fragment, params={"type": "Building"})
    assert done.status_code == 204
    assert client.get(entity).json()["name"]["value"] == "y"


def test_ngsi_ld_null_only_deletes(client: TestClient) -> None:
    # 554_01_01/02, 5611_01_02 (5.2.1, 5.5.4): NGSI-LD Null on create, replace or batch create
    # (a member, a value, nested in a compound value, the id) is BadRequestData; a temporal
    # instance may carry it (a deleted value), a temporal first-level member may not.
    null = "urn:ngsi-ld:null"
    entities = "/ngsi-ld/v1/entities"
    for body in (
        {"id": "urn:ngsi-ld:Vehicle:Z1", "type": "Vehicle", "scope": null},
        {
            "id": "urn:ngsi-ld:Vehicle:Z1",
            "type": "Vehicle",
            "a": {"type": "Property", "value": null},
        },
        {"id": "urn:ngsi-ld:Vehicle:Z1", "type": "Vehicle", "a": {"value": {"b": {"c": null}}}},
        {"id": null, "type": "Vehicle"},
    ):
        answer = client.post(entities, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["type"] == ERR + "BadRequestData"
        batch = client.post("/ngsi-ld/v1/entityOperations/create", json=[body])
        assert batch.status_code == 400, body
    assert client.get(f"{entities}/urn:ngsi-ld:Vehicle:Z1").status_code == 404
    at = "2026-01-02T00:00:00Z"
    deleted = {"id": VEHICLE, "type": "Vehicle", "speed": [_property(null, at)]}
    assert client.post(TEMPORAL, json=deleted).status_code == 201
    member = {"id": "urn:ngsi-ld:Vehicle:Z2", "type": "Vehicle", "expiresAt": null}
    assert client.post(TEMPORAL, json=member).status_code == 400
    assert client.get(f"{TEMPORAL}/urn:ngsi-ld:Vehicle:Z2").status_code == 404
    # A merge still deletes with it (5620_01_03).
    created = {
        "id": "urn:ngsi-ld:Vehicle:Z3",
        "type": "Vehicle",
        "a": {"type": "Property", "value": 1},
    }
    assert client.post(entities, json=created).status_code == 201
    merged = client.post("/ngsi-ld/v1/entityOperations/merge", json=[{**created, "a": null}])
    assert merged.status_code == 204
    assert "a" not in client.get(f"{entities}/urn:ngsi-ld:Vehicle:Z3").json()


def test_retrieve_and_query_validation_edges(client: TestClient) -> None:
    # 5711_01_02/03, 5722_01_02 (5.7.1.4, 5.7.2.4): geometryProperty without a GeoJSON
    # Accept, pick of a linked entity without join, a q on system attributes alone -> 400.
    entities = "/ngsi-ld/v1/entities"
    point = {"type": "Point", "coordinates": [126.95, 37.54]}
    body = {"id": "urn:ngsi-ld:Building:G1", "type": "Building", "location": point}
    assert client.post(entities, json=body).status_code == 201
    url = f"{entities}/urn:ngsi-ld:Building:G1"
    ld = {"Accept": "application/ld+json"}
    assert client.get(url, params={"geometryProperty": "location"}, headers=ld).status_code == 400
    geo = client.get(
        url, params={"geometryProperty": "location"}, headers={"Accept": "application/geo+json"}
    )
    assert geo.status_code == 200
    assert geo.json()["geometry"] == point
    assert client.get(url, params={"pick": "owner{name}"}).status_code == 400
    system_q = client.get(entities, params={"q": 'modifiedAt>"2020-01-01T00:00:00Z"'})
    assert system_q.status_code == 400
    assert system_q.json()["type"] == ERR + "BadRequestData"
    narrowed = {"type": "Building", "q": 'modifiedAt>"2020-01-01T00:00:00Z"'}
    assert client.get(entities, params=narrowed).status_code == 200  # a type narrows it


def test_geojson_geometry_is_the_default_instance_or_null(client: TestClient) -> None:
    # 4516_01_01/02 (4.5.16.1): several location instances -> the default one's geometry;
    # a GeoProperty that is missing or not a geometry -> geometry null.
    entities = "/ngsi-ld/v1/entities"
    gps = {"type": "Point", "coordinates": [9.0, 9.0]}
    here = {"type": "Point", "coordinates": [1.0, 2.0]}
    body = {
        "id": "urn:ngsi-ld:Vehicle:G2",
        "type": "Vehicle",
        "location": [
            {"type": "GeoProperty", "value": gps, "datasetId": "urn:ngsi-ld:Dataset:gps"},
            {"type": "GeoProperty", "value": here},
        ],
        "speed": {"type": "Property", "value": 5},
    }
    assert client.post(entities, json=body).status_code == 201
    geo = {"Accept": "application/geo+json"}
    url = f"{entities}/urn:ngsi-ld:Vehicle:G2"
    assert client.get(url, headers=geo).json()["geometry"] == here
    speed = client.get(url, headers=geo, params={"geometryProperty": "speed"}).json()
    assert speed["geometry"] is None
    assert "id" not in speed["properties"]


def test_local_query_may_ask_for_every_entity(created: TestClient) -> None:
    # 021_25 (5.7.2.4): local=true lifts the need for a type, attrs, q or geo-query.
    window = {"timerel": "after", "timeAt": "2020-07-01T12:05:00Z"}
    assert created.get(TEMPORAL, params=window).status_code == 400
    listed = created.get(TEMPORAL, params={**window, "local": "true"})
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()] == [VEHICLE]
    everything = created.get("/ngsi-ld/v1/entities", params={"local": "true"}).json()
    assert [e["id"] for e in everything] == [VEHICLE]


def test_time_bounds_of_temporal_queries(created: TestClient) -> None:
    # 021_26 (4.11): after is inclusive, before exclusive, between [timeAt, endTimeAt); the
    # same instant with a fraction selects the same; a Date is not a DateTime (400).
    def speeds(**params: str) -> list[object]:
        answer = created.get(TEMPORAL, params={"id": VEHICLE, "attrs": "speed", **params})
        assert answer.status_code == 200, answer.text
        return [i["value"] for i in answer.json()[0]["speed"]]

    assert speeds(timerel="after", timeAt="2020-09-01T12:05:00Z") == [80]
    assert speeds(timerel="after", timeAt="2020-09-01T12:05:00.000Z") == [80]
    assert speeds(timerel="before", timeAt="2020-09-01T12:05:00Z") == [120]
    between = {"timeAt": "2020-09-01T12:03:00Z", "endTimeAt": "2020-09-01T12:05:00.000Z"}
    assert speeds(timerel="between", **between) == [120]
    date = created.get(TEMPORAL, params={"id": VEHICLE, "timerel": "after", "timeAt": "2020-09-01"})
    assert date.status_code == 400


def test_batch_upsert_replaces_unless_asked_to_update(client: TestClient) -> None:
    # 004_03, 004_04, 466_01 (5.6.8): upsert replaces an existing entity's content; with
    # options=update it updates; duplicates apply in order, the last one wins.
    upsert = "/ngsi-ld/v1/entityOperations/upsert"
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:U1"
    first = {
        "id": "urn:ngsi-ld:Vehicle:U1",
        "type": "Vehicle",
        "speed": {"type": "Property", "value": 1},
        "old": {"type": "Property", "value": True},
    }
    second = {"id": first["id"], "type": "Vehicle", "speed": {"type": "Property", "value": 2}}
    assert client.post(upsert, json=[first, second]).status_code == 201
    got = client.get(url).json()
    assert got["speed"]["value"] == 2
    assert "old" not in got
    extra = {"id": first["id"], "type": "Vehicle", "fuel": {"type": "Property", "value": 9}}
    assert client.post(upsert, json=[extra], params={"options": "update"}).status_code == 204
    assert set(client.get(url).json()) == {"id", "type", "speed", "fuel"}
    assert client.post(upsert, json=[extra]).status_code == 204
    assert set(client.get(url).json()) == {"id", "type", "fuel"}
