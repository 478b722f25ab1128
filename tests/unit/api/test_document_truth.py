"""The OpenAPI document tells the truth: methods, date-times, cursors, error bodies, types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - {{id: cam-a, source: {{url: a.mp4}}}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp: Path = tmp_path_factory.mktemp("document")
    services = Services(
        parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media")),
        start_workers=False,
    )
    with TestClient(create_app(services)) as client:
        client.headers.update(grant(services.store, "root", "admin"))
        yield client


def test_a_method_the_path_lacks_is_405_listing_the_ones_it_has(client: TestClient) -> None:
    answer = client.options("/api/privacy/unmask")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD, POST"
    put = client.put("/api/alerts/al-1/transitions", json={})
    assert put.status_code == 405
    assert put.headers["allow"] == "POST"
    assert client.get("/api/privacy/unmask").status_code == 200  # the others are untouched


def test_date_times_are_rfc3339_not_unix_numbers(client: TestClient) -> None:
    for url in ("/api/events", "/api/audit/export.csv"):
        for bad in ("0", "0.5", "2026-12-06"):
            answer = client.get(url, params={"since": bad})
            assert answer.status_code == 422, (url, bad)
            assert "date-time" in str(answer.json()["detail"])
        assert client.get(url, params={"since": "2026-12-06T00:00:00+09:00"}).status_code == 200


def test_errors_match_their_declared_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path in ("/api/events", "/api/alerts"):
        declared = document["paths"][path]["get"]["responses"]["422"]
        assert declared["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorRead")
        empty = client.get(path, params={"cursor": ""})
        assert empty.status_code == 422
        assert isinstance(empty.json()["detail"], list)  # FastAPI's field list
        bogus = client.get(path, params={"cursor": "0"})
        assert bogus.status_code == 422
        assert isinstance(bogus.json()["detail"], list)  # outside the documented pattern
        # Any cursor of the documented form is a position, issued here or not: a page after it.
        never_issued = client.get(path, params={"cursor": "0.00"})
        assert never_issued.status_code == 200
        assert never_issued.json()["items"] == []
    assert "text/plain" in document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert (
        "text/csv"
        in document["paths"]["/api/audit/export.csv"]["get"]["responses"]["200"]["content"]
    )


def test_a_malformed_body_is_a_documented_400(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "400" in document["paths"]["/api/alerts/{alert_id}/notes"]["post"]["responses"]
    assert "400" not in document["paths"]["/api/alerts"]["get"]["responses"]  # no body, no 400
    answer = client.post(
        "/api/privacy/unmask", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code in (400, 422)
    assert answer.json()["detail"]


def test_what_the_schemathesis_rerun_found_is_in_the_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    form = document["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]
    fields = next(iter(form.values()))["schema"]
    fields = document["components"]["schemas"][fields["$ref"].rsplit("/", 1)[1]]
    assert fields["properties"]["username"]["minLength"] == 1
    assert fields["required"] == ["username", "password"]
    anonymous = TestClient(client.app)
    for body in ({"username": "", "password": "x"}, {"username": "a", "password": "x",
                                                     "grant_type": "client_credentials"}):  # fmt: skip
        assert anonymous.post("/api/auth/token", data=body).status_code == 422, body
    wrong = {"username": "nobody", "password": "x", "grant_type": "password"}
    assert anonymous.post("/api/auth/token", data=wrong).status_code == 401
    # Unknown statuses and kinds are refused by the document's pattern, empty lists are not.
    assert client.get("/api/alerts", params={"status": "new,bogus"}).status_code == 422
    assert client.get("/api/alerts", params={"status": ""}).status_code == 200
    assert client.get("/api/events", params={"kind": "intrusion,flood"}).status_code == 200
    # Twin times are RFC 3339 like the others; a history zone is camera:zone.
    assert client.get("/api/twin/at", params={"time": "0.5"}).status_code == 422
    assert client.get("/api/twin/history", params={"zone": ""}).status_code == 422
    runs = document["paths"]["/api/scenarios/runs"]
    limit = next(p for p in runs["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    assert "404" in runs["post"]["responses"]
    assert client.get("/api/scenarios/runs", params={"limit": 0}).status_code == 422
    assert client.post("/api/scenarios/runs", json={"file": "x\x00.yaml"}).status_code == 422
    assert "404" in document["paths"]["/api/events"]["post"]["responses"]
