"""Distributed retrieval: GET /entities[/{id}] also asks registered context sources."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

REGS = "/ngsi-ld/v1/csourceRegistrations"
ENTITIES = "/ngsi-ld/v1/entities"
REMOTE = {
    "id": "urn:ngsi-ld:RainGauge:1",
    "type": "RainGauge",
    "precipitation": {"type": "Property", "value": 12.5},
}
SHARED_REMOTE = {
    "id": "urn:ngsi-ld:Camera:cam",
    "type": "Camera",
    "name": {"type": "Property", "value": "remote name"},
    "vendor": {"type": "Property", "value": "acme"},
}


class Source:
    """A context source on 127.0.0.1 answering GET /ngsi-ld/v1/entities[/{id}]."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                source.requests.append((url.path, parse_qs(url.query), dict(self.headers)))
                body: Any = None
                if url.path == ENTITIES:
                    types = parse_qs(url.query).get("type", [""])[0]
                    body = [e for e in (REMOTE, SHARED_REMOTE) if e["type"] == types]
                elif url.path == f"{ENTITIES}/{SHARED_REMOTE['id']}":
                    body = SHARED_REMOTE
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body if body is not None else {}).encode())

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def source() -> Iterator[Source]:
    server = Source()
    yield server
    server.close()


def register(client: TestClient, endpoint: str, entity_type: str, **extra: Any) -> None:
    body = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{entity_type}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": entity_type}]}],
        "endpoint": endpoint,
        **extra,
    }
    assert client.post(REGS, json=body).status_code == 201


def test_query_merges_registered_sources(client: TestClient, source: Source) -> None:
    register(client, source.url, "RainGauge", contextSourceInfo=[{"key": "X-Key", "value": "k"}])
    found = client.get(ENTITIES, params={"type": "RainGauge", "options": "keyValues"})
    assert found.status_code == 200
    assert found.json() == [{"id": REMOTE["id"], "type": "RainGauge", "precipitation": 12.5}]
    path, params, headers = source.requests[0]
    assert path == ENTITIES
    assert params["local"] == ["true"]  # the source does not ask its own sources again
    assert "options" not in params  # it answers normalized; this broker shapes the answer
    assert headers["X-Key"] == "k"  # contextSourceInfo travels as headers
    local_only = client.get(ENTITIES, params={"type": "RainGauge", "local": "true"})
    assert local_only.json() == []
    assert len(source.requests) == 1
    reg = client.get(f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:RainGauge").json()
    assert reg["status"] == "ok"
    assert reg["timesSent"] == 1
    assert "lastSuccess" in reg


def test_local_attributes_win_and_source_adds_the_rest(client: TestClient, source: Source) -> None:
    camera = {**SHARED_REMOTE, "name": {"type": "Property", "value": "local name"}}
    del camera["vendor"]
    assert client.post(ENTITIES, json=camera).status_code == 201
    register(client, source.url, "Camera", operations=["retrieveEntity", "queryEntity"])
    got = client.get(f"{ENTITIES}/{camera['id']}", params={"options": "keyValues"}).json()
    assert got == {"id": camera["id"], "type": "Camera", "name": "local name", "vendor": "acme"}
    listed = client.get(ENTITIES, params={"type": "Camera", "options": "keyValues"}).json()
    assert listed == [got]
    missing = client.get(f"{ENTITIES}/urn:ngsi-ld:Camera:none")
    assert missing.status_code == 404


def test_sources_that_do_not_serve_or_answer_are_left_out(client: TestClient) -> None:
    register(client, "http://127.0.0.1:9", "RainGauge")  # nobody listens there
    assert client.get(ENTITIES, params={"type": "RainGauge"}).json() == []
    reg = client.get(f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:RainGauge").json()
    assert reg["status"] == "failed"
    assert reg["timesFailed"] == 1
    assert "lastFailure" in reg
    register(client, "http://127.0.0.1:9", "Camera", operations=["createEntity"])
    assert client.get(ENTITIES, params={"type": "Camera"}).json() == []
    bad = client.get(ENTITIES, params={"type": "Camera", "local": "maybe"})
    assert bad.status_code == 400
