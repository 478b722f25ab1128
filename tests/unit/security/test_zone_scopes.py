"""Zone scopes: a caller scoped to zones sees the events, alerts and observations of those only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import event_of, observation_of
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.api.routes.stream import visible
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.messages import Event
from cctwin.security import keys
from cctwin.security.roles import Principal, Role
from cctwin.types import Alert, AlertStatus, EventKind, ObservationKind, Severity

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - {{id: cam-a, source: {{url: a.mp4}}}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""
T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def _event(zone: str | None, minute: int) -> Event:
    return event_of(kind="intrusion", camera_id="cam-a", rule_id="r",
                    occurred_at=T0 + timedelta(minutes=minute), frame_index=minute,
                    track_id=minute, class_name="person", confidence=0.9,
                    zone_id=zone)  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    tmp = tmp_path_factory.mktemp("zones")
    config = parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media"))
    services = Services(config, start_workers=False)
    events = [_event("lawn", 1), _event("plaza", 2), _event(None, 3)]
    services.store.add_events(events)
    for index, event in enumerate(events):
        services.store.insert_alert(
            Alert(
                f"al-{index}",
                "r",
                "cam-a",
                EventKind.INTRUSION,
                Severity.HIGH,
                AlertStatus.NEW,
                "Intrusion",
                T0,
                T0,
                (event.id,),
                zone_id=event.zone_id,
            )
        )
    services.store.add_observations(
        [
            observation_of(ObservationKind.OCCUPANCY, "cam-a", "lawn", T0, 3.0),
            observation_of(ObservationKind.OCCUPANCY, "cam-a", "plaza", T0, 5.0),
        ]
    )
    with TestClient(create_app(services)) as client:
        full, key_id, secret_hash = keys.new_key()
        key = keys.ApiKey("lawn-op", key_id, secret_hash, Role.OPERATOR, None, T0,
                          zones=frozenset({"lawn"}))  # fmt: skip
        services.store.add_key(key)
        client.headers.update({"Authorization": f"Bearer {full}"})
        yield client, services


def test_lists_hold_only_the_zones_in_scope(world: tuple[TestClient, Services]) -> None:
    client, _ = world
    assert client.get("/api/auth/me").json()["zones"] == ["lawn"]
    events = client.get("/api/events").json()["items"]
    assert [e["zone_id"] for e in events] == ["lawn"]
    alerts = client.get("/api/alerts").json()["items"]
    assert [a["zone_id"] for a in alerts] == ["lawn"]
    observations = client.get("/api/observations").json()
    assert [o["rule_id"] for o in observations] == ["lawn"]


def test_other_zones_answer_403(world: tuple[TestClient, Services]) -> None:
    client, services = world
    assert client.get("/api/events", params={"zone": "plaza"}).status_code == 403
    plaza = services.store.get_alert("al-1")
    assert plaza is not None
    assert client.get(f"/api/events/{plaza.event_ids[0]}").status_code == 403
    assert client.get("/api/alerts/al-1").status_code == 403
    moved = client.post("/api/alerts/al-1/transitions", json={"to": "acknowledged"})
    assert moved.status_code == 403
    assert client.get("/api/alerts/al-0").status_code == 200


def test_the_stream_leaves_other_zones_out() -> None:
    scoped = Principal("p", "user", Role.OPERATOR, zones=frozenset({"lawn"}))
    everyone = Principal("q", "user", Role.OPERATOR)
    lawn, plaza, nowhere = _event("lawn", 1), _event("plaza", 2), _event(None, 3)
    assert visible(lawn, scoped)
    assert not visible(plaza, scoped)
    assert not visible(nowhere, scoped)
    assert visible(plaza, everyone)
    reading = observation_of(ObservationKind.OCCUPANCY, "cam-a", "plaza", T0, 1.0)
    assert not visible(reading, scoped)
    assert visible(reading, everyone)


def test_zone_scope_survives_the_store_and_the_cli(tmp_path: Path) -> None:
    from cctwin.security.commands import keys_create, users_add

    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    users_add(path, "park", "operator", None, False, zones="lawn,pond")
    keys_create(path, "feed", "operator", "cam-a", zones="lawn")
    config = parse_config(path.read_text())
    services = Services(config, start_workers=False)
    user = services.store.get_user("park")
    assert user is not None
    assert user.principal().zones == frozenset({"lawn", "pond"})
    (key,) = services.store.list_keys()
    assert key.zones == frozenset({"lawn"})
    rows = [e.record.detail for e in services.store.audit_entries()]
    assert "role=operator cameras=* zones=lawn,pond" in rows
