"""What-ifs over HTTP: run a file, list, fetch, compare, look ahead; NGSILD-Tenant isolation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")
REPO = Path(__file__).resolve().parents[3]
CONFIG = """
site:
  osm: {osm}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
scenarios: {{folder: {folder}}}
"""
ENTITY = {
    "id": "urn:ngsi-ld:CrowdFlowObserved:test",
    "type": "CrowdFlowObserved",
    "density": {"type": "Property", "value": 2.5},
}


@pytest.fixture
def services(tmp_path: Path) -> Services:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "small.yaml").write_text(
        (REPO / "config" / "scenarios" / "small-egress.yaml").read_text()
    )
    (folder / "broken.yaml").write_text("kind: crowd\nname: broken\nsources: 3\n")
    config = parse_config(
        CONFIG.format(
            osm=REPO / "config" / "site" / "gongdeok.osm",
            db=tmp_path / "db.sqlite",
            media=tmp_path / "media",
            folder=folder,
        )
    )
    return Services(config, start_workers=False)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as test_client:
        yield test_client


def _wait(client: TestClient, run_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run: dict[str, object] = client.get(f"/api/scenarios/runs/{run_id}").json()
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    raise AssertionError("the run did not finish in 120 s")


def test_run_list_fetch_and_compare(client: TestClient, services: Services) -> None:
    client.headers.update(grant(services.store, "op", "operator"))
    files = client.get("/api/scenarios/files").json()
    assert [f["file"] for f in files] == ["small.yaml"]  # the broken file is not offered
    bad = client.post("/api/scenarios/runs", json={"file": "broken.yaml"})
    assert bad.status_code == 400
    assert "broken.yaml:3: sources" in bad.json()["detail"]
    # A path or a NUL is not a file name of the folder (the document's pattern says so).
    for outside in ("../x.yaml", "a\x00.yaml"):
        assert client.post("/api/scenarios/runs", json={"file": outside}).status_code == 422
    assert client.post("/api/scenarios/runs", json={"file": "none.yaml"}).status_code == 404
    ids = []
    for _ in range(2):
        started = client.post("/api/scenarios/runs", json={"file": "small.yaml"})
        deadline = time.monotonic() + 30
        while started.status_code == 429 and time.monotonic() < deadline:
            # The previous run is stored 'done' a moment before its entities are published.
            time.sleep(0.2)
            started = client.post("/api/scenarios/runs", json={"file": "small.yaml"})
        assert started.status_code == 202, started.text
        run = _wait(client, started.json()["run_id"])
        assert run["status"] == "done", run
        ids.append(str(run["id"]))
    result = run["result"]
    assert isinstance(result, dict)
    assert result["agents"] == 60
    assert {z["zone_id"] for z in result["zones"]} == {"gate4"}
    assert len(result["frames"]) == len(result["frame_times"])
    listed = client.get("/api/scenarios/runs").json()
    assert {r["id"] for r in listed} == set(ids)
    assert listed[0]["versions"]["jupedsim"] != "-"
    compared = client.get("/api/scenarios/compare", params={"a": ids[0], "b": ids[1]}).json()
    # Same file, same seed: the same crowd.
    assert compared["summary"]["max_density"]["change"] == 0
    assert client.get("/api/scenarios/runs/nope").status_code == 404
    # The run's zones went to the simulation tenant, not to the live twin.
    sim = client.get(
        "/ngsi-ld/v1/entities",
        params={"type": "CrowdFlowObserved"},
        headers={"NGSILD-Tenant": "cctwin-sim"},
    )
    assert sim.status_code == 200
    assert sim.json()
    assert all(e["simulated"]["value"] is True for e in sim.json())
    live = client.get("/ngsi-ld/v1/entities", params={"type": "CrowdFlowObserved"})
    assert live.json() == []


def test_a_planner_may_list_but_not_run(client: TestClient, services: Services) -> None:
    client.headers.update(grant(services.store, "planner", "planner"))
    assert client.get("/api/scenarios/runs").status_code == 200
    assert client.post("/api/scenarios/runs", json={"file": "small.yaml"}).status_code == 403


def test_lookahead_from_a_density_and_its_errors(client: TestClient, services: Services) -> None:
    client.headers.update(grant(services.store, "op", "operator"))
    body = {"at": [126.9520528, 37.5451136], "radius_m": 6, "persons_per_m2": 2.0, "horizon_s": 60}
    answer = client.post("/api/scenarios/lookahead", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    # 2 p/m2 on the walkable part of a 6 m circle: everyone stands there at t=0.
    assert result["agents"] > 50
    assert result["zones"][0]["density"][0] == pytest.approx(2.0, rel=0.25)
    assert result["simulated_s"] <= 60.0
    missing = client.post("/api/scenarios/lookahead", json={"zone": "nowhere"})
    assert missing.status_code == 400
    assert "unknown map zone 'nowhere'" in missing.json()["detail"]
    ghost = {"at": [126.9520528, 37.5451136], "entity_id": "urn:ngsi-ld:CrowdFlowObserved:x"}
    assert client.post("/api/scenarios/lookahead", json=ghost).status_code == 404


def test_tenants_keep_entities_apart(client: TestClient, services: Services) -> None:
    client.headers.update(grant(services.store, "integrator", "integrator"))
    tenant = {"NGSILD-Tenant": "what-if-1"}
    # Reading a tenant that does not exist is a 404 (ETSI GS CIM 009 4.14).
    assert client.get(f"/ngsi-ld/v1/entities/{ENTITY['id']}", headers=tenant).status_code == 404
    assert client.post("/ngsi-ld/v1/entities", json=ENTITY, headers=tenant).status_code == 201
    got = client.get(f"/ngsi-ld/v1/entities/{ENTITY['id']}", headers=tenant)
    assert got.status_code == 200
    assert got.json()["density"]["value"] == 2.5
    # Not in the default tenant, nor in another.
    assert client.get(f"/ngsi-ld/v1/entities/{ENTITY['id']}").status_code == 404
    other = {"NGSILD-Tenant": "what-if-2"}
    assert client.get(f"/ngsi-ld/v1/entities/{ENTITY['id']}", headers=other).status_code == 404
    bad = client.get("/ngsi-ld/v1/entities", params={"type": "X"}, headers={"NGSILD-Tenant": "a/b"})
    assert bad.status_code == 400
