"""Common behaviours (6.3.4, 6.3.20): Content-Length, unknown parameters, Accept, media types."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conformance_samples import (
    ENTITIES,
    ERR,
    SUBS,
    building,
    watch,
)
from fastapi.testclient import TestClient
from notify_server import Receiver

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


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


ACCEPT_CASES = [
    (None, "application/json"),
    ("*/*", "application/json"),
    ("application/ld+json, application/json", "application/json"),
    ("application/geo+json, application/json", "application/json"),
    ("application/json;q=0.1, application/ld+json;q=0.9", "application/ld+json"),
    ("application/json;q=0, application/ld+json", "application/ld+json"),
    ("application/ld+json", "application/ld+json"),
    ("application/geo+json", "application/geo+json"),
]


def test_accept_precedence(client: TestClient) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    for accept, expected in ACCEPT_CASES:
        headers = {"Accept": accept} if accept is not None else {}
        answer = client.get(f"{ENTITIES}/urn:ngsi-ld:Building:1", headers=headers)
        assert answer.status_code == 200, accept
        assert answer.headers["content-type"].startswith(expected), accept


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


def test_subscription_id_that_is_not_a_uri(client: TestClient) -> None:
    for method in ("GET", "DELETE"):
        answer = client.request(method, f"{SUBS}/InvalidUri")
        assert answer.status_code == 400
        assert answer.json()["type"] == ERR + "BadRequestData"
    assert client.get(f"{SUBS}/urn:ngsi-ld:Subscription:none").status_code == 404
