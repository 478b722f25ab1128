"""/jsonldContexts (CIM 009 V1.8.1 clause 5.13): hosted, cached and implicitly created @contexts."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from conformance_samples import (
    CTX,
    ENTITIES,
    ERR,
    JSON_TYPE,
    MINIMAL,
    SUBS,
    add,
    watch,
)
from fastapi.testclient import TestClient
from notify_server import Receiver

from cctwin.ngsi.context import CORE_CONTEXT

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


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
    older = CORE_CONTEXT.replace("v1.8", "v1.6")
    assert (
        client.get(f"{CTX}/{quote(older, safe='')}", params={"details": "true"}).status_code == 200
    )


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
