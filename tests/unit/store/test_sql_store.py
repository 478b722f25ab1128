"""SqlStore on SQLite: migrations, events and their pages, alerts with audit, cameras, media."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from factories import event_of, observation_of, status_of

from cctwin.config import SqliteStoreConfig
from cctwin.messages import CrowdPayload, FirePayload
from cctwin.store.engine import create_store_engine
from cctwin.store.media import MediaKind, MediaRecord, MediaStore
from cctwin.store.migrate import include_name, upgrade
from cctwin.store.sql import AlertConflictError, EventFilter, SqlStore
from cctwin.store.tables import Base
from cctwin.types import (
    Alert,
    AlertNote,
    AlertStatus,
    CameraState,
    Direction,
    Event,
    EventKind,
    Observation,
    ObservationKind,
    Severity,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KST = timezone(timedelta(hours=9))


def make_event(
    i: int,
    *,
    camera: str = "cam-1",
    kind: EventKind = EventKind.ZONE_ENTER,
    zone: str | None = "gate",
    rule: str = "gate",
    at: datetime | None = None,
) -> Event:
    return event_of(
        kind=kind,
        camera_id=camera,
        rule_id=rule,
        occurred_at=at if at is not None else T0 + timedelta(seconds=i),
        frame_index=i,
        track_id=i % 7,
        class_name="person",
        confidence=0.5 + (i % 50) / 100,
        zone_id=zone,
        direction=Direction.IN if kind is EventKind.LINE_CROSS else None,
        dwell_s=12.5 if kind is EventKind.LOITERING else None,
    )


def make_alert(alert_id: str, *, camera: str = "cam-1", opened: datetime = T0) -> Alert:
    return Alert(
        id=alert_id,
        rule_id="night-intrusion",
        camera_id=camera,
        kind=EventKind.INTRUSION,
        severity=Severity.HIGH,
        status=AlertStatus.NEW,
        title="사람 침입 — 정문",
        opened_at=opened,
        updated_at=opened,
        event_ids=("e1",),
        zone_id="gate",
        class_name="person",
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "cctwin.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqlStore]:
    with SqlStore.open(SqliteStoreConfig(path=db_path)) as opened:
        yield opened


def list_all(store: SqlStore, filter: EventFilter, limit: int) -> list[Event]:
    """Follow next_cursor to the end, as a client would."""
    items: list[Event] = []
    cursor: str | None = None
    while True:
        page = store.list_events(filter, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


# --- schema ----------------------------------------------------------------------------------


def test_open_creates_the_file_tables_and_wal(store: SqlStore, db_path: Path) -> None:
    assert db_path.is_file()
    with sqlite3.connect(db_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {
        "events",
        "observations",
        "alerts",
        "alert_events",
        "alert_notes",
        "alert_transitions",
        "camera_status",
        "media",
        "ix_events_occurred_at",
        "ix_events_camera_id_occurred_at",
        "ix_events_kind_occurred_at",
        "ix_events_zone_id_occurred_at",
    } <= tables
    assert mode == "wal"
    assert revision == "0012"
    assert store.dialect == "sqlite"


def test_every_connection_gets_the_pragmas(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        values = {
            pragma: connection.exec_driver_sql(f"PRAGMA {pragma}").scalar()
            for pragma in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    engine.dispose()
    # synchronous 1 = NORMAL
    assert values == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }


def test_migration_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    upgrade(url)  # a second run finds nothing to do
    engine = create_store_engine(url)
    with engine.connect() as connection:
        assert (
            compare_metadata(
                MigrationContext.configure(connection, opts={"include_name": include_name}),
                Base.metadata,
            )
            == []
        )
    engine.dispose()


def test_stores_opened_at_once_migrate_once(db_path: Path) -> None:
    opened: list[SqlStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            opened.append(SqlStore.open(SqliteStoreConfig(path=db_path)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert errors == []
    assert len(opened) == 4


def test_a_0001_database_upgrades_and_keeps_its_events(tmp_path: Path) -> None:
    from alembic import command

    from cctwin.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO events (id, kind, camera_id, rule_id, occurred_at, frame_index, "
            "track_id, class_name, confidence, stored_at) VALUES ('e1', 'intrusion', 'cam-1', "
            "'gate', '2026-03-01 09:00:00.000000', 1, 2, 'person', 0.9, "
            "'2026-03-01 09:00:01.000000')"
        )
    engine.dispose()
    with SqlStore.open_url(url) as opened:
        kept = opened.get_event("e1")
    assert kept is not None
    assert kept.kind is EventKind.INTRUSION
    assert kept.level is None
    assert kept.region is None


# --- events ----------------------------------------------------------------------------------


def test_events_round_trip_exactly(store: SqlStore) -> None:
    events = [
        make_event(1),
        make_event(2, kind=EventKind.LINE_CROSS, zone="crosswalk"),
        make_event(3, kind=EventKind.LOITERING, zone=None),
    ]
    assert store.add_events(events) == 3
    for event in events:
        assert store.get_event(event.id) == event
    assert store.get_event("missing") is None


def test_safety_events_keep_level_value_and_region(store: SqlStore) -> None:
    fire = make_event(4, kind=EventKind.BUILDING_FIRE, zone=None, rule="fire").model_copy(
        update={"track_id": -1, "payload": FirePayload(region=(0.1, 0.2, 0.55, 0.9))}
    )
    crowd = make_event(5, kind=EventKind.CROWD_RISK, zone="plaza", rule="plaza-crowd")
    crowd = crowd.model_copy(
        update={"payload": CrowdPayload(level="alert", value=4.2, region=(0.0, 0.5, 1.0, 1.0))}
    )
    assert store.add_events([fire, crowd]) == 2
    assert store.get_event(fire.id) == fire
    assert store.get_event(crowd.id) == crowd


def test_observations_keep_level_and_method(store: SqlStore) -> None:
    density = observation_of(
        ObservationKind.CROWD_DENSITY,
        "cam-1",
        "plaza-crowd",
        T0,
        3.4,
        "person",
        level="caution",
        method="density",
    )
    store.add_observations([density])
    assert store.latest_observations("cam-1") == [density]


def test_times_come_back_aware_utc_whatever_zone_went_in(store: SqlStore) -> None:
    local = datetime(2026, 3, 1, 18, 30, 0, 123456, tzinfo=KST)
    event = make_event(1, at=local)
    store.add_events([event])
    stored = store.get_event(event.id)
    assert stored is not None
    assert stored.occurred_at == local
    assert stored.occurred_at.tzinfo is UTC
    assert stored.occurred_at == datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)


def test_naive_times_are_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.add_events([make_event(1, at=datetime(2026, 3, 1, 9, 0))])
    with pytest.raises(ValueError, match="timezone-aware"):
        EventFilter(since=datetime(2026, 3, 1))


def test_duplicate_ids_are_ignored(store: SqlStore) -> None:
    events = [make_event(i) for i in range(10)]
    assert store.add_events(events[:6]) == 6
    assert store.add_events(events) == 4
    assert store.add_events([events[0], events[0]]) == 0
    assert store.add_events([]) == 0
    assert store.count_events(EventFilter()) == 10


def test_every_filter(store: SqlStore) -> None:
    events = [
        make_event(
            i,
            camera=f"cam-{i % 3}",
            kind=[EventKind.ZONE_ENTER, EventKind.LINE_CROSS, EventKind.INTRUSION][i // 3 % 3],
            zone=["gate", "lobby", None, "gate"][i % 4],
            rule=f"rule-{i % 2}",
        )
        for i in range(120)
    ]
    store.add_events(events)
    since, until = T0 + timedelta(seconds=30), T0 + timedelta(seconds=90)
    cases: list[tuple[EventFilter, list[Event]]] = [
        (EventFilter(), events),
        (EventFilter(since=since), [e for e in events if e.occurred_at >= since]),
        (EventFilter(until=until), [e for e in events if e.occurred_at < until]),
        (EventFilter(camera_ids=("cam-1",)), [e for e in events if e.camera_id == "cam-1"]),
        (
            EventFilter(camera_ids=("cam-0", "cam-2")),
            [e for e in events if e.camera_id in ("cam-0", "cam-2")],
        ),
        (EventFilter(zone_ids=("lobby",)), [e for e in events if e.zone_id == "lobby"]),
        (
            EventFilter(kinds=(EventKind.LINE_CROSS,)),
            [e for e in events if e.kind is EventKind.LINE_CROSS],
        ),
        (EventFilter(rule_ids=("rule-1",)), [e for e in events if e.rule_id == "rule-1"]),
        (
            EventFilter(
                since=since,
                until=until,
                camera_ids=("cam-0", "cam-1"),
                kinds=(EventKind.ZONE_ENTER, EventKind.INTRUSION),
                zone_ids=("gate",),
                rule_ids=("rule-0",),
            ),
            [
                e
                for e in events
                if since <= e.occurred_at < until
                and e.camera_id in ("cam-0", "cam-1")
                and e.kind in (EventKind.ZONE_ENTER, EventKind.INTRUSION)
                and e.zone_id == "gate"
                and e.rule_id == "rule-0"
            ],
        ),
        (EventFilter(camera_ids=("nowhere",)), []),
    ]
    for filter, expected in cases:
        newest_first = sorted(expected, key=lambda e: (e.occurred_at, e.id), reverse=True)
        assert expected or filter.camera_ids == ("nowhere",)
        assert store.list_events(filter, limit=500).items == newest_first, filter
        assert store.count_events(filter) == len(expected), filter


def test_pages_cover_everything_once_newest_first(store: SqlStore) -> None:
    # Many events share a time so that the id must break ties across page boundaries.
    events = [make_event(i, at=T0 + timedelta(seconds=i // 4)) for i in range(250)]
    assert store.add_events(events) == 250
    pages = []
    cursor: str | None = None
    while True:
        page = store.list_events(EventFilter(), limit=100, cursor=cursor)
        pages.append(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [len(p) for p in pages] == [100, 100, 50]
    listed = [e for p in pages for e in p]
    assert listed == sorted(events, key=lambda e: (e.occurred_at, e.id), reverse=True)
    assert len({e.id for e in listed}) == 250


def test_an_exact_last_page_has_no_cursor(store: SqlStore) -> None:
    store.add_events([make_event(i) for i in range(200)])
    first = store.list_events(EventFilter(), limit=100)
    assert first.next_cursor is not None
    second = store.list_events(EventFilter(), limit=100, cursor=first.next_cursor)
    assert len(second.items) == 100
    assert second.next_cursor is None


def test_pages_with_a_filter(store: SqlStore) -> None:
    events = [make_event(i, camera=f"cam-{i % 4}") for i in range(400)]
    store.add_events(events)
    since, until = T0 + timedelta(seconds=50), T0 + timedelta(seconds=350)
    filter = EventFilter(camera_ids=("cam-3",), since=since, until=until)
    expected = [e for e in events if e.camera_id == "cam-3" and since <= e.occurred_at < until]
    assert len(expected) == 75
    assert list_all(store, filter, 7) == sorted(expected, key=lambda e: e.occurred_at, reverse=True)


def test_new_events_do_not_shift_later_pages(store: SqlStore) -> None:
    store.add_events([make_event(i) for i in range(30)])
    first = store.list_events(EventFilter(), limit=10)
    store.add_events([make_event(i) for i in range(1000, 1005)])  # newer than all
    second = store.list_events(EventFilter(), limit=10, cursor=first.next_cursor)
    assert [e.frame_index for e in second.items] == list(range(19, 9, -1))


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        "bm90IGpzb24",
        "WyJldmVudHMiXQ",
        "WyJhbGVydHMiLCIyMDI2LTAzLTAxVDA5OjAwOjAwKzAwOjAwIiwieCJd",
    ],
)
def test_invalid_cursor_is_a_value_error(store: SqlStore, cursor: str) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        store.list_events(EventFilter(), limit=10, cursor=cursor)


def test_a_cursor_is_a_position_its_form_alone_decides(store: SqlStore) -> None:
    # Time in microseconds and the id in hex: any text of that form is a position, so the API
    # document's pattern is the whole rule (no issued-here check a client cannot see).
    for i in range(3):
        store.insert_alert(make_alert(f"a{i}", opened=T0 + timedelta(minutes=i)))
    cursor = store.list_alerts(limit=1).next_cursor
    assert cursor == f"{int((T0 + timedelta(minutes=2)).timestamp() * 1e6)}.{b'a2'.hex()}"
    assert [a.id for a in store.list_alerts(limit=5, cursor=cursor).items] == ["a1", "a0"]
    assert store.list_alerts(limit=5, cursor="0.00").items == []
    for bad in ("0", "AAAA", "1.abc", "1.AB"):
        with pytest.raises(ValueError, match="invalid cursor"):
            store.list_events(EventFilter(), cursor=bad)


def test_limit_must_be_positive(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list_events(EventFilter(), limit=0)


def test_events_survive_reopening(db_path: Path) -> None:
    events = [make_event(i) for i in range(25)]
    writer = SqlStore.open(SqliteStoreConfig(path=db_path))
    assert writer.add_events(events) == 25
    # A second store on the same file sees the committed rows while the first is still open.
    reader = SqlStore.open(SqliteStoreConfig(path=db_path))
    assert reader.count_events(EventFilter()) == 25
    writer.close()
    reader.close()
    with SqlStore.open(SqliteStoreConfig(path=db_path)) as reopened:
        assert reopened.list_events(EventFilter(), limit=100).items == events[::-1]


def test_concurrent_writers_from_threads(store: SqlStore, db_path: Path) -> None:
    other = SqlStore.open(SqliteStoreConfig(path=db_path))
    errors: list[BaseException] = []

    def write(target: SqlStore, offset: int) -> None:
        try:
            for batch in range(10):
                start = offset + batch * 20
                target.add_events([make_event(i) for i in range(start, start + 20)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(store if n % 2 else other, n * 1000)) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == []
    assert store.count_events(EventFilter()) == 6 * 200


# --- observations ----------------------------------------------------------------------------


def test_latest_observations(store: SqlStore) -> None:
    def obs(
        camera: str, rule: str, kind: ObservationKind, seconds: int, value: float
    ) -> Observation:
        return observation_of(kind, camera, rule, T0 + timedelta(seconds=seconds), value, "person")

    store.add_observations(
        [
            obs("cam-1", "lobby", ObservationKind.OCCUPANCY, 0, 1),
            obs("cam-1", "lobby", ObservationKind.OCCUPANCY, 20, 3),
            obs("cam-1", "lobby", ObservationKind.OCCUPANCY, 10, 2),
            obs("cam-1", "door", ObservationKind.LINE_COUNT_IN, 5, 7),
            obs("cam-1", "door", ObservationKind.LINE_COUNT_OUT, 5, 4),
            obs("cam-2", "lobby", ObservationKind.OCCUPANCY, 1, 9),
        ]
    )
    store.add_observations([])
    assert store.latest_observations("cam-1") == [
        obs("cam-1", "door", ObservationKind.LINE_COUNT_IN, 5, 7),
        obs("cam-1", "door", ObservationKind.LINE_COUNT_OUT, 5, 4),
        obs("cam-1", "lobby", ObservationKind.OCCUPANCY, 20, 3),
    ]
    everything = store.latest_observations(None)
    assert len(everything) == 4
    assert everything[-1] == obs("cam-2", "lobby", ObservationKind.OCCUPANCY, 1, 9)
    assert store.latest_observations("cam-9") == []


# --- alerts ----------------------------------------------------------------------------------


def test_alert_round_trip_with_notes_events_and_audit(store: SqlStore) -> None:
    alert = make_alert("a1")
    store.insert_alert(alert)
    assert store.get_alert("a1") == alert
    assert store.get_alert("nope") is None

    note = AlertNote("kim", "순찰차 출동", T0 + timedelta(minutes=1))
    acknowledged = replace(
        alert,
        status=AlertStatus.ACKNOWLEDGED,
        updated_at=T0 + timedelta(minutes=1),
        assignee="kim",
        event_ids=("e1", "e2", "e3"),
        notes=(note,),
    )
    store.save_alert(acknowledged, (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "kim"))
    assert store.get_alert("a1") == acknowledged

    second = AlertNote("lee", "현장 확인", T0 + timedelta(minutes=5))
    resolved = replace(
        acknowledged,
        status=AlertStatus.RESOLVED,
        updated_at=T0 + timedelta(minutes=5),
        closed_at=T0 + timedelta(minutes=5),
        snapshot_id="s1",
        clip_id="c1",
        notes=(note, second, second),
    )
    store.save_alert(resolved, (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, "lee"))
    stored = store.get_alert("a1")
    assert stored == resolved
    assert stored is not None
    assert not stored.is_open
    # Saving again without changes adds no duplicate notes or links.
    store.save_alert(resolved)
    assert store.get_alert("a1") == resolved

    audit = store.alert_transitions("a1")
    assert [(t.from_status, t.to_status, t.by, t.at) for t in audit] == [
        (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "kim", T0 + timedelta(minutes=1)),
        (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, "lee", T0 + timedelta(minutes=5)),
    ]
    assert all(t.alert_id == "a1" and t.at.tzinfo is UTC for t in audit)


def test_alert_errors(store: SqlStore) -> None:
    alert = make_alert("a1")
    store.insert_alert(alert)
    with pytest.raises(ValueError, match="already exists"):
        store.insert_alert(alert)
    with pytest.raises(KeyError):
        store.save_alert(make_alert("ghost"))
    escalated = replace(alert, status=AlertStatus.ESCALATED)
    with pytest.raises(ValueError, match="cannot move"):
        store.save_alert(escalated, (AlertStatus.RESOLVED, AlertStatus.ESCALATED, "kim"))
    with pytest.raises(ValueError, match="not the move"):
        store.save_alert(escalated, (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "kim"))
    store.save_alert(escalated, (AlertStatus.NEW, AlertStatus.ESCALATED, "kim"))
    # A second operator who still saw it as new loses the race.
    with pytest.raises(AlertConflictError):
        store.save_alert(escalated, (AlertStatus.NEW, AlertStatus.ESCALATED, "lee"))
    assert len(store.alert_transitions("a1")) == 1


def test_list_alerts_filters_and_pages(store: SqlStore) -> None:
    statuses = [
        AlertStatus.NEW,
        AlertStatus.ACKNOWLEDGED,
        AlertStatus.RESOLVED,
        AlertStatus.DISMISSED,
    ]
    alerts = []
    for i in range(23):
        base = make_alert(f"a{i:02}", camera=f"cam-{i % 2}", opened=T0 + timedelta(minutes=i // 2))
        alert = replace(base, status=statuses[i % 4])
        store.insert_alert(alert)
        alerts.append(alert)
    newest_first = sorted(alerts, key=lambda a: (a.opened_at, a.id), reverse=True)

    pages = []
    cursor: str | None = None
    while True:
        page = store.list_alerts(limit=5, cursor=cursor)
        pages.append(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [a for p in pages for a in p] == newest_first

    assert store.list_alerts([AlertStatus.NEW], limit=100).items == [
        a for a in newest_first if a.status is AlertStatus.NEW
    ]
    assert store.list_alerts(camera_id="cam-1", limit=100).items == [
        a for a in newest_first if a.camera_id == "cam-1"
    ]
    assert store.list_alerts(
        [AlertStatus.RESOLVED, AlertStatus.DISMISSED], "cam-0", limit=100
    ).items == [a for a in newest_first if a.camera_id == "cam-0" and not a.is_open]
    assert store.list_alerts([], limit=100).items == []
    assert store.open_alerts() == [a for a in newest_first if a.is_open]
    with pytest.raises(ValueError, match="invalid cursor"):
        store.list_alerts(cursor="garbage")


# --- cameras and media -----------------------------------------------------------------------


def test_camera_status_upsert(store: SqlStore) -> None:
    first = status_of("cam-2", CameraState.STARTING, T0)
    other = status_of("cam-1", CameraState.OFFLINE, T0, last_error="connection refused")
    store.save_camera_status(first)
    store.save_camera_status(other)
    assert store.camera_statuses() == [other, first]
    online = status_of(
        "cam-2",
        CameraState.ONLINE,
        T0 + timedelta(seconds=2),
        fps=4.5,
        last_frame_at=T0 + timedelta(seconds=1.5),
        frames_decoded=100,
        frames_analysed=50,
        frames_dropped=3,
        frames_corrupt=1,
        reconnects=2,
        lag_s=0.25,
    )
    store.save_camera_status(online)
    assert store.camera_statuses() == [other, online]


def test_media_records(store: SqlStore, tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    at = datetime(2026, 3, 1, 23, 59, tzinfo=KST)  # 14:59 UTC: the folder is the UTC date
    snapshot = media.save_snapshot("cam-1", b"\xff\xd8jpeg", at, event_id="e1")
    clip = media.save_clip("cam-1", b"mp4" * 100, at, None)
    store.add_media(snapshot)
    store.add_media(clip)
    assert store.get_media(snapshot.id) == snapshot
    assert store.get_media(clip.id) == clip
    assert store.get_media("nope") is None
    assert snapshot.kind is MediaKind.SNAPSHOT
    assert clip.kind is MediaKind.CLIP
    assert snapshot.path == f"cam-1/2026-03-01/{snapshot.id}.jpg"
    assert media.path_of(snapshot).read_bytes() == b"\xff\xd8jpeg"
    assert media.path_of(clip).stat().st_size == clip.bytes == 300
    # No temporary files are left beside them.
    assert sorted(p.name for p in media.path_of(clip).parent.iterdir()) == sorted(
        [f"{snapshot.id}.jpg", f"{clip.id}.mp4"]
    )


def test_media_paths_stay_inside_the_folder(tmp_path: Path) -> None:
    media = MediaStore(tmp_path)
    with pytest.raises(ValueError, match="cannot name"):
        media.save_snapshot("../etc", b"x", T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        media.save_snapshot("cam-1", b"x", datetime(2026, 3, 1))
    outside = MediaRecord(
        id="m",
        kind=MediaKind.SNAPSHOT,
        camera_id="cam-1",
        path="../../etc/passwd",
        created_at=T0,
        bytes=1,
    )
    with pytest.raises(ValueError, match="outside"):
        media.path_of(outside)
