"""Replay tells the past as it was: alert status then, no rollup ahead of its minute, and the
fast history paths (batched timestamps, numpy step folding) equal the plain ones."""

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.app import Services
from cctwin.ngsi.temporal import _stamp, stamps
from cctwin.store.history import SeriesPoint, _steps
from cctwin.types import Alert, AlertStatus, EventKind, Severity

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

T0 = datetime(2026, 12, 1, tzinfo=UTC)
OPS = "/ngsi-ld/v1/entityOperations/upsert"
ZONE = "urn:ngsi-ld:CrowdFlowObserved:cam-1:plaza"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _alert_moved_twice(services: Services) -> Alert:
    """New at 0 s, acknowledged at 10 s, resolved at 30 s."""
    alert = Alert(
        id="a-1", rule_id="plaza", camera_id="cam-1", kind=EventKind.ZONE_ENTER,
        severity=Severity.HIGH, status=AlertStatus.NEW, title="Plaza entry",
        opened_at=at(0), updated_at=at(0), event_ids=(),
    )  # fmt: skip
    services.store.insert_alert(alert)
    acked = dataclasses.replace(alert, status=AlertStatus.ACKNOWLEDGED, updated_at=at(10))
    services.store.save_alert(acked, (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "op"))
    resolved = dataclasses.replace(
        acked, status=AlertStatus.RESOLVED, updated_at=at(30), closed_at=at(30)
    )
    services.store.save_alert(resolved, (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, "op"))
    return resolved


def test_a_replayed_alert_shows_its_status_at_that_moment(services: Services) -> None:
    _alert_moved_twice(services)
    assert [a.status for a in services.store.alerts_open_at(at(5))] == [AlertStatus.NEW]
    then = services.store.alerts_open_at(at(15))
    assert [(a.status, a.closed_at) for a in then] == [(AlertStatus.ACKNOWLEDGED, None)]
    assert services.store.alerts_open_at(at(30)) == []  # closed at 30 s


def test_an_alert_without_moves_closed_now_replays_as_new(services: Services) -> None:
    # Stored straight as resolved (an import, a bench): it was open at 5 s, so not "resolved".
    imported = Alert(
        id="a-2", rule_id="plaza", camera_id="cam-1", kind=EventKind.ZONE_ENTER,
        severity=Severity.HIGH, status=AlertStatus.RESOLVED, title="Plaza entry",
        opened_at=at(0), updated_at=at(20), closed_at=at(20), event_ids=(),
    )  # fmt: skip
    services.store.insert_alert(imported)
    assert [a.status for a in services.store.alerts_open_at(at(5))] == [AlertStatus.NEW]


def test_twin_at_shows_the_alert_status_and_no_rollup_ahead_of_its_minute(
    client: TestClient, services: Services
) -> None:
    _alert_moved_twice(services)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    for second, count in [(0, 10), (40, 20)]:
        body = {
            "id": ZONE,
            "type": "CrowdFlowObserved",
            "peopleCount": {
                "type": "Property", "value": count, "observedAt": at(second).strftime(stamp)
            },
        }  # fmt: skip
        assert client.post(OPS, json=[body]).status_code in (201, 204)
    client.headers.update(grant(services.store, "op", "operator", cameras="cam-1"))
    raw = client.get("/api/twin/at", params={"time": at(15).isoformat()}).json()
    assert [a["status"] for a in raw["alerts"]] == ["acknowledged"]
    assert raw["alerts"][0]["closed_at"] is None
    assert raw["zones"][0]["values"] == {"peopleCount": 10}
    # Minute 0 rolled up: mean 15, last 20 (seen at 40 s). At 15 s nothing of it is known yet.
    services.ngsi.broker.retain(at(300), T0 - timedelta(days=1))
    mid = client.get("/api/twin/at", params={"time": at(15).isoformat()}).json()
    assert mid["zones"] == []
    after = client.get("/api/twin/at", params={"time": at(60).isoformat()}).json()
    assert after["zones"][0]["values"] == {"peopleCount": 20.0}
    assert after["zones"][0]["resolution_s"] == 60.0


def test_batched_stamps_equal_one_at_a_time() -> None:
    rng = random.Random(3)
    times = [1764979200 + rng.uniform(0, 86400 * 30) for _ in range(2000)]
    times += [0.0, 1764979200.0, 1764979200.9995, 1764979200.9999996, 1764979200.0005, 86399.5]
    times += [1764979200 + k / 1000 for k in range(1000)]
    assert stamps(times) == [_stamp(ts) for ts in times]
    assert stamps([]) == []


def _steps_plain(rows: list[tuple[float, float, float | None, float | None]], start: float,
                 step: float) -> list[tuple[float, float, float, float, int]]:  # fmt: skip
    """The loop the numpy folding replaced, as the reference."""
    out: dict[int, list[float]] = {}
    for ts, number, high, last in rows:
        cell = out.setdefault(int((ts - start) // step), [0.0, 0, float("-inf"), 0.0])
        cell[0] += number
        cell[1] += 1
        cell[2] = max(cell[2], number if high is None else high)
        cell[3] = number if last is None else last
    return [(start + i * step, t / n, h, la, int(n)) for i, (t, n, h, la) in out.items()]


@pytest.mark.parametrize("step", [1.0, 7.0, 60.0, 3600.0])
def test_numpy_steps_equal_the_plain_loop(step: float) -> None:
    rng = random.Random(int(step))
    start = 1764979200.0
    rows: list[tuple[float, float, float | None, float | None]] = []
    ts = start
    for _ in range(3000):
        ts += rng.choice([0.5, 1.0, 3.0, 60.0])
        value = rng.uniform(0, 5)
        rollup = rng.random() < 0.3
        rows.append((ts, value, value * 1.5 if rollup else None, value * 0.9 if rollup else None))
    # The store hands the rows over with a raw row's high and last coalesced to its number.
    floats = [(t, n, n if h is None else h, n if la is None else la) for t, n, h, la in rows]
    got = [(p.start_ts, p.mean, p.high, p.last, p.rows) for p in _steps(floats, start, step)]
    want = _steps_plain(rows, start, step)
    assert [g[0] for g in got] == [w[0] for w in want]
    assert [g[2:] for g in got] == [w[2:] for w in want]
    assert [g[1] for g in got] == pytest.approx([w[1] for w in want], rel=1e-12)
    assert _steps([], start, step) == []
    assert isinstance(_steps(floats[:1], start, step)[0], SeriesPoint)


def test_entities_other_systems_pushed_are_replayed(client: TestClient, services: Services) -> None:
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    for second, level in [(0, 1.5), (20, 2.5)]:
        gauge = {
            "id": "urn:ngsi-ld:WaterLevelSensor:river-1",
            "type": "WaterLevelSensor",
            "waterLevel": {
                "type": "Property", "value": level, "observedAt": at(second).strftime(stamp)
            },
            "status": {"type": "Property", "value": "ok", "observedAt": at(second).strftime(stamp)},
        }  # fmt: skip
        assert client.post(OPS, json=[gauge]).status_code in (201, 204)
    client.headers.update(grant(services.store, "op", "operator", cameras="cam-1"))
    then = client.get("/api/twin/at", params={"time": at(10).isoformat()}).json()
    assert then["others"] == [
        {
            "entity_id": "urn:ngsi-ld:WaterLevelSensor:river-1",
            "type": "WaterLevelSensor",
            "values": {"waterLevel": 1.5, "status": "ok"},
            "observed_at": "2026-12-01T00:00:00Z",
        }
    ]
    later = client.get("/api/twin/at", params={"time": at(25).isoformat()}).json()
    assert later["others"][0]["values"]["waterLevel"] == 2.5
    assert client.get("/api/twin/at", params={"time": at(-5).isoformat()}).json()["others"] == []
