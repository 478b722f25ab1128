"""CIM 009 V1.8.1 behaviour the ETSI suite checks beyond the basics: /jsonldContexts (5.13),
scopeQ, subscription notifications, datasetId in q and temporal queries."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from notify_server import Receiver, closed_port_url

from cctwin.ngsi.context import CORE_CONTEXT

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

ERR = "https://uri.etsi.org/ngsi-ld/errors/"
CTX = "/ngsi-ld/v1/jsonldContexts"
JSON_TYPE = {"Content-Type": "application/json"}
MINIMAL = {"@context": {"A1": "urn:ngsi-ld:attributes:A1", "A2": "urn:ngsi-ld:attributes:A2"}}


def add(client: TestClient, body: object) -> str:
    created = client.post(CTX, json=body)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.startswith(CTX + "/")
    return location


def test_hosted_context_is_added_served_listed_and_deleted(client: TestClient) -> None:
    location = add(client, MINIMAL)
    local_id = location.rsplit("/", 1)[1]
    served = client.get(location)
    assert served.status_code == 200
    assert served.json() == MINIMAL
    details = client.get(location, params={"details": "true"}).json()
    assert details["kind"] == "Hosted"
    assert details["localId"] == local_id
    assert details["URL"].endswith(location)
    assert details["numberOfHits"] == 0
    assert set(details) <= {"URL", "localId", "kind", "createdAt", "lastUsage", "numberOfHits"}
    urls = client.get(CTX).json()
    assert any(u.endswith(location) for u in urls)
    assert CORE_CONTEXT in urls
    hosted = client.get(CTX, params={"details": "true", "kind": "Hosted"}).json()
    assert [h["localId"] for h in hosted] == [local_id]
    cached = client.get(CTX, params={"details": "true", "kind": "Cached"}).json()
    assert [c["URL"] for c in cached] == [CORE_CONTEXT]
    assert client.get(CTX, params={"kind": "ImplicitlyCreated"}).json() == []
    assert client.delete(location).status_code == 204
    assert client.get(location).status_code == 404


def test_a_hosted_context_url_expands_names(client: TestClient) -> None:
    location = add(client, MINIMAL)
    url = f"http://testserver{location}"
    link = f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    entity = {"id": "urn:ngsi-ld:T:1", "type": "T", "A1": {"type": "Property", "value": 3}}
    assert (
        client.post("/ngsi-ld/v1/entities", json=entity, headers={"Link": link}).status_code == 201
    )
    plain = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:T:1").json()
    assert plain["urn:ngsi-ld:attributes:A1"]["value"] == 3
    used = client.get(location, params={"details": "true"}).json()
    assert used["numberOfHits"] == 1
    assert "lastUsage" in used
    for _ in range(2):  # every request naming the @context counts
        client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:T:1", headers={"Link": link})
    assert client.get(location, params={"details": "true"}).json()["numberOfHits"] == 3


def test_context_errors(client: TestClient) -> None:
    location = add(client, MINIMAL)

    def problem(response: object, status: int, kind: str) -> None:
        assert response.status_code == status  # type: ignore[attr-defined]
        assert response.json()["type"] == ERR + kind  # type: ignore[attr-defined]

    problem(
        client.get(f"{CTX}/wrong_id_context", params={"details": "true"}), 404, "ResourceNotFound"
    )
    problem(client.delete(f"{CTX}/wrong_id_context"), 404, "ResourceNotFound")
    problem(
        client.delete(f"{CTX}/wrong_id_context", params={"reload": "true"}), 400, "BadRequestData"
    )
    problem(
        client.delete(f"{CTX}/wrong_id_context", params={"reload": "xxx"}), 400, "BadRequestData"
    )
    problem(client.delete(location, params={"reload": "true"}), 400, "BadRequestData")
    core = f"{CTX}/{quote(CORE_CONTEXT, safe='')}"
    problem(client.delete(core), 400, "BadRequestData")
    problem(client.get(CTX, params={"kind": "Other"}), 400, "BadRequestData")
    problem(
        client.post(CTX, json={"@context": ["https://example.org/ctx.jsonld", 7]}),
        400,
        "BadRequestData",
    )
    problem(client.post(CTX, json={"@context": True}), 400, "BadRequestData")
    problem(client.post(CTX, json={"A1": "urn:ngsi-ld:attributes:A1"}), 400, "InvalidRequest")
    problem(client.post(CTX, content=b"{", headers=JSON_TYPE), 400, "InvalidRequest")
    assert client.get(core, params={"details": "true"}).json()["kind"] == "Cached"
    assert "@context" in client.get(core).json()


def test_cached_context_is_listed_deleted_and_reloaded(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cctwin.ngsi.context import ContextStore
    from cctwin.ngsi.problems import NgsiError, Problem

    remote = "http://contexts.example/one.jsonld"
    documents = {remote: {"@context": {"B1": "urn:ngsi-ld:attributes:B1"}}}

    def fetch(self: ContextStore, url: str) -> object:
        if url not in documents:
            raise NgsiError(Problem.LD_CONTEXT_NOT_AVAILABLE, f"cannot load @context {url}")
        return documents[url]

    monkeypatch.setattr(ContextStore, "fetch", fetch)
    add(client, {"@context": [remote]})
    one = f"{CTX}/{quote(remote, safe='')}"
    info = client.get(one, params={"details": "true"}).json()
    assert info["kind"] == "Cached"
    assert info["URL"] == remote
    assert client.get(one).json() == documents[remote]
    assert client.delete(one, params={"reload": "true"}).status_code == 204
    document = documents.pop(remote)
    reload = client.delete(one, params={"reload": "true"})
    assert reload.status_code == 503
    assert reload.json()["type"] == ERR + "LdContextNotAvailable"
    by_local_id = f"{CTX}/{quote(info['localId'], safe='')}"
    assert client.get(by_local_id).json() == document  # a failed reload keeps the cache
    assert client.delete(by_local_id).status_code == 204
    assert client.get(one).status_code == 404


def test_hosted_contexts_survive_a_restart(services: object, tmp_path: object) -> None:
    from cctwin.app import Services
    from cctwin.ngsi.service import NgsiService

    assert isinstance(services, Services)
    hosted = services.ngsi.hosting.add(MINIMAL)
    again = NgsiService(services.ngsi_store, services.config.ngsi_ld)
    assert again.hosting.serve("http://x", hosted.local_id, details=False) == MINIMAL
    assert again.contexts.terms(f"http://x{CTX}/{hosted.local_id}").expand("A2") == (
        "urn:ngsi-ld:attributes:A2"
    )


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


@pytest.mark.parametrize(
    ("scope_q", "expected"),
    [
        ("/Madrid", [1]),
        ("/Madrid/#", [1, 2, 3, 4]),
        ("/Madrid/+", [2]),
        ("/Madrid/+/Latina", [4]),
        ("/#", [1, 2, 3, 4, 5]),
        ("/Madrid/Gardens;/Madrid/Gardens/#", [2]),
        ("/Madrid|/Seoul/#", [1, 5]),
        ("/Madrid,/Seoul/Gongdeok", [1, 5]),
        ("(/Madrid/+|/Seoul/#);/Seoul/Gongdeok", [5]),
    ],
)
def test_scope_q(client: TestClient, scope_q: str, expected: list[int]) -> None:
    scoped(client)
    found = client.get("/ngsi-ld/v1/entities", params={"type": "S", "scopeQ": scope_q})
    assert found.status_code == 200, found.text
    assert sorted(int(e["id"].rsplit(":", 1)[1]) for e in found.json()) == expected
    only = client.get("/ngsi-ld/v1/entities", params={"scopeQ": scope_q})
    assert len(only.json()) == len(expected)


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


# --- subscriptions and notifications ---------------------------------------------------------

SUBS = "/ngsi-ld/v1/subscriptions"
ENTITIES = "/ngsi-ld/v1/entities"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def building(n: int = 1, **extra: object) -> dict[str, object]:
    return {
        "id": f"urn:ngsi-ld:Building:{n}",
        "type": "Building",
        "name": {"type": "Property", "value": "Gongdeok"},
        "airQualityLevel": {"type": "Property", "value": 4, "unitCode": "C62"},
        "description": {"type": "LanguageProperty", "languageMap": {"en": "tower", "ko": "탑"}},
        "scope": "/Seoul/Mapo",
        **extra,
    }


def watch(
    uri: str, sub_id: str = "urn:ngsi-ld:Subscription:b", **extra: object
) -> dict[str, object]:
    notification = extra.pop("notification", {})
    assert isinstance(notification, dict)
    endpoint = {"uri": uri, **notification.pop("endpoint", {})}
    return {
        "id": sub_id,
        "type": "Subscription",
        "entities": [{"type": "Building"}],
        "notification": {"endpoint": endpoint, **notification},
        **extra,
    }


def change_quality(client: TestClient, value: int = 5) -> None:
    fragment = {"airQualityLevel": {"type": "Property", "value": value}}
    answer = client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs", json=fragment)
    assert answer.status_code == 204, answer.text


def test_notification_body_headers_and_no_initial_notification(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    receiver_info = [{"key": "X-Auth", "value": "token-1"}]
    sub = watch(receiver.url, notification={"endpoint": {"receiverInfo": receiver_info}})
    assert client.post(SUBS, json=sub).status_code == 201
    change_quality(client)
    (body,) = receiver.wait_for(1)
    # Only the change is notified: the entity existing before the subscription is not.
    assert body["data"][0]["airQualityLevel"]["value"] == 5
    assert set(body) == {"id", "type", "subscriptionId", "notifiedAt", "data"}
    assert body["type"] == "Notification"
    assert body["id"].startswith("urn:ngsi-ld:Notification:")
    assert "@context" not in body["data"][0]
    headers = {k.lower(): v for k, v in receiver.headers[0].items()}
    assert headers["content-type"] == "application/json"
    assert f"<{CORE_CONTEXT}>" in headers["link"]
    assert headers["x-auth"] == "token-1"


@pytest.mark.parametrize(
    ("notification", "expected"),
    [
        ({"format": "keyValues"}, 5),
        ({"format": "concise"}, {"value": 5, "unitCode": "C62"}),
        ({"format": "normalized"}, {"type": "Property", "value": 5, "unitCode": "C62"}),
    ],
)
def test_notification_formats(
    client: TestClient, receiver: Receiver, notification: dict[str, object], expected: object
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url, notification=notification)).status_code == 201
    fragment = {"airQualityLevel": {"type": "Property", "value": 5, "unitCode": "C62"}}
    client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs", json=fragment)
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["airQualityLevel"] == expected


def test_notification_attributes_sys_attrs_lang_and_ld_json(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    notification = {
        "attributes": ["airQualityLevel", "description"],
        "sysAttrs": True,
        "endpoint": {"accept": "application/ld+json"},
    }
    sub = watch(receiver.url, notification=notification, lang="ko")
    assert client.post(SUBS, json=sub).status_code == 201
    change_quality(client)
    (body,) = receiver.wait_for(1)
    entity = body["data"][0]
    assert set(entity) == {
        "id",
        "type",
        "scope",
        "createdAt",
        "modifiedAt",
        "airQualityLevel",
        "description",
        "@context",
    }
    assert entity["description"]["value"] == "탑"
    assert entity["description"]["lang"] == "ko"
    assert body["@context"] == CORE_CONTEXT
    assert entity["@context"] == CORE_CONTEXT
    assert receiver.headers[0]["Content-Type"] == "application/ld+json"


def test_notification_triggers(client: TestClient, receiver: Receiver) -> None:
    triggers = ["attributeDeleted", "entityDeleted"]
    sub = watch(receiver.url, notificationTrigger=triggers, notification={"format": "keyValues"})
    assert client.post(SUBS, json=sub).status_code == 201
    assert client.post(ENTITIES, json=building()).status_code == 201  # attributeCreated: no
    change_quality(client)  # attributeUpdated: no
    assert client.delete(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs/name").status_code == 204
    (deleted_attr,) = receiver.wait_for(1)
    data = deleted_attr["data"][0]
    assert data["name"] == "urn:ngsi-ld:null"
    assert data["airQualityLevel"] == 5
    assert client.delete(f"{ENTITIES}/urn:ngsi-ld:Building:1").status_code == 204
    bodies = receiver.wait_for(2)
    gone = bodies[1]["data"][0]
    assert gone["id"] == "urn:ngsi-ld:Building:1"
    assert "deletedAt" in gone
    assert gone["airQualityLevel"] == "urn:ngsi-ld:null"
    assert len(bodies) == 2


def test_entity_created_trigger_and_scope_q(client: TestClient, receiver: Receiver) -> None:
    sub = watch(receiver.url, notificationTrigger=["entityCreated"], scopeQ="/Seoul/#")
    assert client.post(SUBS, json=sub).status_code == 201
    assert client.post(ENTITIES, json=building(2, scope="/Busan")).status_code == 201
    assert client.post(ENTITIES, json=building(1)).status_code == 201
    change_quality(client)  # entityUpdated is not asked for
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["id"] == "urn:ngsi-ld:Building:1"
    time.sleep(0.5)
    assert len(receiver.bodies) == 1


def test_time_interval_notifies_periodically(client: TestClient, receiver: Receiver) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url, timeInterval=1)).status_code == 201
    # Nothing at creation: the first notification comes one interval later.
    assert client.get(f"{SUBS}/urn:ngsi-ld:Subscription:b").json()["status"] == "active"
    assert receiver.bodies == []
    bodies = receiver.wait_for(2, timeout_s=10)
    assert len(bodies) >= 2
    assert all(b["data"][0]["id"] == "urn:ngsi-ld:Building:1" for b in bodies)


def test_subscription_validation(client: TestClient, receiver: Receiver) -> None:
    bad = [
        watch(receiver.url, timeInterval=0),
        watch(receiver.url, timeInterval=5, watchedAttributes=["name"]),
        watch(receiver.url, notificationTrigger=["sometimes"]),
        watch(receiver.url, notification={"format": "table"}),
        watch(receiver.url, notification={"endpoint": {"accept": "text/plain"}}),
        watch(receiver.url, notification={"endpoint": {"receiverInfo": [{"key": 1}]}}),
        watch(receiver.url, notification={"sysAttrs": "yes"}),
        watch(receiver.url, scopeQ="Seoul"),
    ]
    for body in bad:
        answer = client.post(SUBS, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["type"] == ERR + "BadRequestData"


def test_inline_context_becomes_an_implicit_context(client: TestClient, receiver: Receiver) -> None:
    sub = watch(receiver.url) | {"@context": [{"Building": "urn:test:Building"}, CORE_CONTEXT]}
    created = client.post(SUBS, json=sub, headers={"Content-Type": "application/ld+json"})
    assert created.status_code == 201, created.text
    retrieved = client.get(f"{SUBS}/urn:ngsi-ld:Subscription:b").json()
    implicit_id = retrieved["jsonldContext"].rsplit("/", 1)[1]
    served = client.get(f"{CTX}/{implicit_id}")
    assert served.status_code == 200
    assert served.json()["@context"][0] == {"Building": "urn:test:Building"}
    listed = client.get(CTX, params={"kind": "ImplicitlyCreated", "details": "true"}).json()
    assert [i["localId"] for i in listed] == [implicit_id]
    assert listed[0]["numberOfHits"] >= 1
    entity = {
        "id": "urn:ngsi-ld:B:1",
        "type": "urn:test:Building",
        "n": {"type": "Property", "value": 1},
    }
    assert client.post(ENTITIES, json=entity).status_code == 201
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["type"] == "Building"
    assert implicit_id in receiver.headers[0]["Link"]
    assert client.delete(f"{CTX}/{implicit_id}").status_code == 204


# --- multi-attributes (datasetId) -------------------------------------------------------------


def vehicle() -> dict[str, object]:
    return {
        "id": "urn:ngsi-ld:Vehicle:1",
        "type": "Vehicle",
        "speed": [
            {"type": "Property", "value": 10},
            {"type": "Property", "value": 99, "datasetId": "urn:ngsi-ld:Dataset:gps"},
        ],
    }


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


# --- common behaviours (6.3.4, 6.3.20) ---------------------------------------------------------


def test_a_body_without_content_length_is_a_bare_411(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"id": "urn:ngsi-ld:Building:411", "type": "Building"}'

    headers = {"Content-Type": "application/json", "NGSILD-Tenant": "nosuchtenant"}
    for method in ("POST", "PUT", "PATCH"):
        answer = client.request(method, ENTITIES, content=chunks(), headers=headers)
        assert answer.status_code == 411, method
        assert answer.text == ""
    assert client.get(ENTITIES, params={"type": "Building"}).status_code == 200


def test_unknown_query_parameters_are_invalid_requests(client: TestClient) -> None:
    for method, path in [
        ("GET", ENTITIES),
        ("POST", ENTITIES),
        ("GET", "/ngsi-ld/v1/temporal/entities"),
        ("GET", "/ngsi-ld/v1/types"),
        ("GET", SUBS),
        ("POST", SUBS),
    ]:
        answer = client.request(
            method,
            path,
            params={"invalidParams": "invalidValue", "type": "Building"},
            content=b'"a string body"',
            headers={"Content-Type": "application/ld+json"},
        )
        assert answer.status_code == 400, (method, path)
        assert answer.json()["type"] == ERR + "InvalidRequest"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/ld+json, application/json", "application/json"),
        ("application/geo+json, application/json", "application/json"),
        ("application/json;q=0.1, application/ld+json;q=0.9", "application/ld+json"),
        ("application/json;q=0, application/ld+json", "application/ld+json"),
        ("application/ld+json", "application/ld+json"),
        ("application/geo+json", "application/geo+json"),
    ],
)
def test_accept_precedence(client: TestClient, accept: str | None, expected: str) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    headers = {"Accept": accept} if accept is not None else {}
    answer = client.get(f"{ENTITIES}/urn:ngsi-ld:Building:1", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(expected)


def test_geojson_only_where_offered_and_merge_patch(client: TestClient, receiver: Receiver) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url)).status_code == 201
    url = f"{SUBS}/urn:ngsi-ld:Subscription:b"
    refused = client.get(url, headers={"Accept": "application/geo+json"})
    assert refused.status_code == 406
    assert refused.json()["type"] == ERR + "NotAcceptable"
    mixed = client.get(
        url, headers={"Accept": "application/geo+json;q=0.9, application/ld+json;q=0.1"}
    )
    assert mixed.headers["content-type"].startswith("application/ld+json")
    fragment = {"type": "Property", "value": "Mapo"}
    patched = client.patch(
        f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs/name",
        content=json.dumps(fragment),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 204, patched.text
    assert client.get(f"{ENTITIES}/urn:ngsi-ld:Building:1").json()["name"]["value"] == "Mapo"


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


def test_openapi_states_the_new_operations(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    add = paths["/ngsi-ld/v1/jsonldContexts"]["post"]
    assert "201" in add["responses"]
    assert "application/json" in add["requestBody"]["content"]
    delete = paths["/ngsi-ld/v1/jsonldContexts/{context_id}"]["delete"]
    assert {p["name"] for p in delete["parameters"]} >= {"reload"}
    assert {"404", "503"} <= set(delete["responses"])
    listing = paths["/ngsi-ld/v1/jsonldContexts"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"details", "kind"}
    query = paths["/ngsi-ld/v1/entities"]["get"]
    assert {p["name"] for p in query["parameters"]} >= {"scopeQ", "datasetId", "csf"}
    assert "411" in paths["/ngsi-ld/v1/entities"]["post"]["responses"]


def test_subscription_dataset_id_and_jsonld_context(client: TestClient, receiver: Receiver) -> None:
    assert client.post(ENTITIES, json=vehicle()).status_code == 201
    sub = {
        "id": "urn:ngsi-ld:Subscription:v",
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "datasetId": ["urn:ngsi-ld:Dataset:gps"],
        "jsonldContext": CORE_CONTEXT,
        "notification": {"endpoint": {"uri": receiver.url}},
    }
    assert client.post(SUBS, json=sub).status_code == 201
    fragment = {"speed": {"type": "Property", "value": 11}}
    assert client.post(f"{ENTITIES}/urn:ngsi-ld:Vehicle:1/attrs", json=fragment).status_code == 204
    (body,) = receiver.wait_for(1)
    speed = body["data"][0]["speed"]
    assert speed == {"type": "Property", "value": 99, "datasetId": "urn:ngsi-ld:Dataset:gps"}
    bad = sub | {"id": "urn:ngsi-ld:Subscription:w", "datasetId": [3]}
    assert client.post(SUBS, json=bad).status_code == 400


def test_subscription_patch_null_removes_a_member(client: TestClient, receiver: Receiver) -> None:
    assert client.post(SUBS, json=watch(receiver.url, q="airQualityLevel>3")).status_code == 201
    url = f"{SUBS}/urn:ngsi-ld:Subscription:b"
    assert client.patch(url, json={"q": None}).status_code == 204
    assert "q" not in client.get(url).json()
    broken = client.patch(url, json={"notification": {"format": "keyValues", "endpoint": None}})
    assert broken.status_code == 400


def test_show_changes_gives_previous_values(client: TestClient, receiver: Receiver) -> None:
    located = {"locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Seoul"}}
    assert client.post(ENTITIES, json=building(**located)).status_code == 201
    sub = watch(receiver.url, notification={"showChanges": True})
    assert client.post(SUBS, json=sub).status_code == 201
    fragment = {
        "name": {"type": "Property", "value": "Mapo"},
        "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Busan"},
        "airQualityLevel": {"type": "Property", "value": 4, "unitCode": "C62"},
    }
    assert (
        client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs", json=fragment).status_code == 204
    )
    (body,) = receiver.wait_for(1)
    data = body["data"][0]
    assert data["name"]["previousValue"] == "Gongdeok"
    assert data["locatedAt"]["previousObject"] == "urn:ngsi-ld:City:Seoul"
    assert "previousValue" not in data["airQualityLevel"]  # the same value: no change
    assert "previousValue" not in data["description"]


def test_replacing_an_entity_notifies_the_attributes_it_drops(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    sub = watch(receiver.url, notificationTrigger=["attributeDeleted"])
    assert client.post(SUBS, json=sub).status_code == 201
    body = {"type": "Building", "name": {"type": "Property", "value": "Mapo"}}
    assert client.put(f"{ENTITIES}/urn:ngsi-ld:Building:1", json=body).status_code == 204
    (notification,) = receiver.wait_for(1)
    data = notification["data"][0]
    assert data["airQualityLevel"]["value"] == "urn:ngsi-ld:null"
    assert data["name"]["value"] == "Mapo"


def test_subscription_id_that_is_not_a_uri(client: TestClient) -> None:
    for method in ("GET", "DELETE"):
        answer = client.request(method, f"{SUBS}/InvalidUri")
        assert answer.status_code == 400
        assert answer.json()["type"] == ERR + "BadRequestData"
    assert client.get(f"{SUBS}/urn:ngsi-ld:Subscription:none").status_code == 404


def test_an_unreachable_endpoint_delays_only_its_own_subscription(
    client: TestClient, receiver: Receiver
) -> None:
    away = watch(closed_port_url(), sub_id="urn:ngsi-ld:Subscription:away")
    assert client.post(SUBS, json=away).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url)).status_code == 201
    assert client.post(ENTITIES, json=building()).status_code == 201
    for value in (5, 6, 7):
        change_quality(client, value)
    bodies = receiver.wait_for(4, timeout_s=10)
    values = [b["data"][0]["airQualityLevel"]["value"] for b in bodies]
    assert values == [4, 5, 6, 7]  # every change, in order, while the other one fails
