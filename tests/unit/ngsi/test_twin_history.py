"""Twin history: one-minute rollups (mean, max, last), retention, replay and chart routes."""

from datetime import UTC, datetime, timedelta

import pytest
from factories import event_of, grant
from fastapi.testclient import TestClient

from cctwin.app import Services
from cctwin.messages import MediaKind, MediaReady
from cctwin.types import Alert, AlertStatus, EventKind, Severity

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

ZONE = "urn:ngsi-ld:CrowdFlowObserved:cam-1:plaza"
HIDDEN = "urn:ngsi-ld:CrowdFlowObserved:cam-2:gate"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
OPS = "/ngsi-ld/v1/entityOperations/upsert"


def stamp(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def crowd(entity_id: str, second: float, count: int, level: str) -> dict[str, object]:
    at = stamp(second)
    return {
        "id": entity_id,
        "type": "CrowdFlowObserved",
        "peopleCount": {"type": "Property", "value": count, "observedAt": at},
        "density": {"type": "Property", "value": count / 50, "observedAt": at},
        "riskLevel": {"type": "Property", "value": level, "observedAt": at},
    }


def _fill(client: TestClient) -> None:
    # Minute 0: 10, 40, 20 people (level normal, then caution); minute 1: 30 people.
    for second, count, level in [(0, 10, "normal"), (20, 40, "caution"), (40, 20, "caution")]:
        assert client.post(OPS, json=[crowd(ZONE, second, count, level)]).status_code in (201, 204)
    client.post(OPS, json=[crowd(ZONE, 70, 30, "normal"), crowd(HIDDEN, 70, 99, "danger")])
    device = {
        "id": "urn:ngsi-ld:Device:cam-1",
        "type": "Device",
        "deviceState": {"type": "Property", "value": "online", "observedAt": stamp(0)},
    }
    client.post(OPS, json=[device])


def test_rollup_keeps_mean_max_and_last_and_the_last_level(
    client: TestClient, services: Services
) -> None:
    _fill(client)
    before = services.ngsi_store.values_at(T0.timestamp() + 50, 300, ["x"])
    assert before == []  # only the attributes asked for
    gone = services.ngsi.broker.retain(T0 + timedelta(minutes=5), T0 - timedelta(days=1))
    assert gone == 4 * 3 + 3 + 1  # plaza 4 x 3 attributes, gate 3, deviceState 1
    expand = services.ngsi.contexts.terms(None).expand
    points = services.ngsi_store.series(
        ZONE, expand("peopleCount"), T0.timestamp(), T0.timestamp() + 120, 60
    )
    assert [(p.mean, p.high, p.last) for p in points] == [
        (pytest.approx(70 / 3), 40.0, 20.0),
        (30.0, 30.0, 30.0),
    ]
    # A level has no mean: the minute keeps its last value, so replay still shows it.
    values = services.ngsi_store.values_at(T0.timestamp() + 60, 300, [expand("riskLevel")])
    assert [(v.entity_id, v.value, v.resolution_s) for v in values] == [(ZONE, "caution", 60.0)]
    # A rollup reads as its last value (the state at the end of the minute), so it shows
    # only once the minute is over: mid-minute it would tell what had not happened yet.
    count = services.ngsi_store.values_at(T0.timestamp() + 60, 300, [expand("peopleCount")])
    assert [v.value for v in count] == [20.0]
    assert services.ngsi_store.values_at(T0.timestamp() + 30, 300, [expand("peopleCount")]) == []
    assert services.ngsi_store.values_at(T0.timestamp() + 59.9, 300, [expand("riskLevel")]) == []
    # Past downsampled_days everything goes.
    services.ngsi.broker.retain(T0 + timedelta(minutes=5), T0 + timedelta(minutes=1))
    assert services.ngsi_store.values_at(T0.timestamp() + 60, 300, [expand("riskLevel")]) == []


def _evidence(services: Services) -> Alert:
    event = event_of(
        kind=EventKind.ZONE_ENTER, camera_id="cam-1", rule_id="plaza", zone_id="plaza",
        occurred_at=T0 + timedelta(seconds=25), frame_index=1, track_id=1,
        class_name="person", confidence=0.9,
    )  # fmt: skip
    services.store.add_events([event])
    snapshot = MediaReady(
        kind=MediaKind.SNAPSHOT, camera_id="cam-1", path="2026/s.jpg",
        created_at=event.occurred_at, event_id=event.id, bytes=10,
    )  # fmt: skip
    services.store.add_media_records([snapshot])
    alert = Alert(
        id="a-1", rule_id="plaza", camera_id="cam-1", kind=EventKind.ZONE_ENTER,
        severity=Severity.HIGH, status=AlertStatus.RESOLVED, title="Plaza entry",
        opened_at=T0 + timedelta(seconds=25), updated_at=T0 + timedelta(seconds=65),
        closed_at=T0 + timedelta(seconds=65), event_ids=(event.id,), zone_id="plaza",
        snapshot_id=snapshot.id,
    )  # fmt: skip
    services.store.insert_alert(alert)
    return alert


def test_twin_at_a_moment(client: TestClient, services: Services) -> None:
    _fill(client)
    alert = _evidence(services)
    # An operator who sees cam-1 only: cam-2's zone is left out.
    client.headers.update(grant(services.store, "op", "operator", cameras="cam-1"))
    body = client.get("/api/twin/at", params={"time": stamp(30)}).json()
    assert [z["entity_id"] for z in body["zones"]] == [ZONE]
    assert body["zones"][0]["values"] == {"peopleCount": 40, "density": 0.8, "riskLevel": "caution"}
    assert body["zones"][0]["zone_id"] == "plaza"
    assert body["cameras"] == [
        {"camera_id": "cam-1", "state": "online", "observed_at": "2026-12-01T00:00:00Z"}
    ]
    assert [a["id"] for a in body["alerts"]] == [alert.id]
    assert body["alerts"][0]["snapshot_url"] == f"/api/snapshots/{alert.snapshot_id}.jpg"
    assert [e["id"] for e in body["events"]] == [alert.event_ids[0]]
    assert body["events"][0]["snapshot_url"] == f"/api/snapshots/{alert.snapshot_id}.jpg"
    later = client.get("/api/twin/at", params={"time": stamp(80), "window_s": 10}).json()
    assert later["alerts"] == []  # resolved at 65 s
    assert later["events"] == []  # 25 s is outside 80 +- 10 s
    assert later["zones"][0]["values"]["peopleCount"] == 30
    early = client.get("/api/twin/at", params={"time": stamp(-1)}).json()
    assert early["zones"] == []
    assert early["alerts"] == []
    naive = client.get("/api/twin/at", params={"time": "2026-12-01T00:00:30"})
    assert naive.status_code == 422
    assert "timezone" in naive.json()["detail"]


def test_zone_history_for_charts(client: TestClient, services: Services) -> None:
    _fill(client)
    client.headers.update(grant(services.store, "op", "operator", cameras="cam-1"))
    params = {"zone": "cam-1:plaza", "attr": "peopleCount", "from": stamp(0), "to": stamp(120)}
    body = client.get("/api/twin/history", params={**params, "step": 60}).json()
    assert body["time"] == ["2026-12-01T00:00:00Z", "2026-12-01T00:01:00Z"]
    assert list(zip(body["mean"], body["max"], body["last"], strict=True)) == [
        (pytest.approx(70 / 3), 40, 20),
        (30, 30, 30),
    ]
    assert (
        client.get("/api/twin/history", params={**params, "zone": "cam-2:gate"}).status_code == 403
    )
    assert client.get("/api/twin/history", params={**params, "attr": "x"}).status_code == 422
    assert client.get("/api/twin/history", params={**params, "step": 0.001}).status_code == 422


def test_replay_needs_the_right_to_see_statistics(client: TestClient, services: Services) -> None:
    client.headers.update(grant(services.store, "agency", "agency"))
    refused = client.get("/api/twin/at")
    assert refused.status_code == 403
    assert "view_statistics" in refused.json()["detail"]
    assert client.get("/api/twin/history", params={"zone": "cam-1:plaza"}).status_code == 403
