"""SqlStore on a real PostgreSQL 15 + PostGIS (scripts/postgres.sh), in a fresh database."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from factories import event_of, observation_of, status_of
from sqlalchemy import create_engine, make_url, text

from cctwin.config import PostgresStoreConfig
from cctwin.store.media import MediaStore
from cctwin.store.migrate import alembic_config, include_name
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
    ObservationKind,
    Severity,
)

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgres.sh"
PG_CTL = Path("/usr/lib/postgresql/15/bin/pg_ctl")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A new, empty database on the throw-away cluster, dropped after the session."""
    if not PG_CTL.exists():
        pytest.skip(
            f"PostgreSQL 15 server binaries are absent ({PG_CTL}); apt-get install postgresql-15"
        )
    was_running = subprocess.run([SCRIPT, "status"], capture_output=True).returncode == 0
    started = subprocess.run([SCRIPT, "start"], capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        pytest.fail(f"scripts/postgres.sh start failed:\n{started.stderr}")
    server_url = make_url(started.stdout.strip().splitlines()[-1])
    name = f"cctwin_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if not was_running:
            subprocess.run([SCRIPT, "stop"], check=False, capture_output=True)


@pytest.fixture(scope="session")
def opened(postgres_url: str) -> Iterator[SqlStore]:
    with SqlStore.open(PostgresStoreConfig(url=postgres_url)) as store:
        yield store


@pytest.fixture
def store(opened: SqlStore, postgres_url: str) -> SqlStore:
    """The session's store with every table emptied, so each test starts clean."""
    engine = create_engine(postgres_url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()
    return opened


def make_event(i: int, camera: str = "cam-1", at: datetime | None = None) -> Event:
    kind = [EventKind.ZONE_ENTER, EventKind.LINE_CROSS, EventKind.LOITERING][i % 3]
    return event_of(
        kind=kind,
        camera_id=camera,
        rule_id=f"rule-{i % 2}",
        occurred_at=at if at is not None else T0 + timedelta(seconds=i),
        frame_index=i,
        track_id=i % 5,
        class_name="person",
        confidence=0.5 + (i % 40) / 100,
        zone_id=["gate", None][i % 2],
        direction=Direction.OUT if kind is EventKind.LINE_CROSS else None,
        dwell_s=61.5 if kind is EventKind.LOITERING else None,
    )


def test_migration_enables_postgis_and_matches_the_models(
    opened: SqlStore, postgres_url: str
) -> None:
    assert opened.dialect == "postgresql"
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT postgis_version()")).scalar_one().startswith("3.")
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            == ScriptDirectory.from_config(alembic_config()).get_current_head()
        )
        assert (
            compare_metadata(
                MigrationContext.configure(connection, opts={"include_name": include_name}),
                Base.metadata,
            )
            == []
        )
        occurred_at = connection.execute(
            text(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'events' AND column_name = 'occurred_at'"
            )
        ).scalar_one()
    engine.dispose()
    assert occurred_at == "timestamp with time zone"
    # Opening again on a migrated database changes nothing.
    SqlStore.open(PostgresStoreConfig(url=postgres_url)).close()


def test_events_round_trip_filters_and_pages(store: SqlStore, postgres_url: str) -> None:
    events = [
        make_event(i, camera=f"cam-{i % 3}", at=T0 + timedelta(seconds=i // 4)) for i in range(250)
    ]
    assert store.add_events(events[:100]) == 100
    assert store.add_events(events) == 150
    assert store.add_events(events[:5]) == 0

    kst = datetime(2026, 3, 1, 20, 0, 0, 654321, tzinfo=timezone(timedelta(hours=9)))
    local = make_event(9999, at=kst)
    store.add_events([local])
    stored = store.get_event(local.id)
    assert stored == local
    assert stored is not None
    assert stored.occurred_at.tzinfo is UTC

    newest_first = sorted(events, key=lambda e: (e.occurred_at, e.id), reverse=True)
    listed: list[Event] = []
    cursor: str | None = None
    sizes = []
    window = EventFilter(until=T0 + timedelta(hours=1))
    while True:
        page = store.list_events(window, limit=100, cursor=cursor)
        sizes.append(len(page.items))
        listed.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sizes == [100, 100, 50]
    assert listed == newest_first

    since = T0 + timedelta(seconds=20)
    filter = EventFilter(
        since=since,
        camera_ids=("cam-1", "cam-2"),
        kinds=(EventKind.ZONE_ENTER, EventKind.LINE_CROSS),
        zone_ids=("gate",),
        rule_ids=("rule-0",),
    )
    expected = [
        e
        for e in newest_first
        if e.occurred_at >= since
        and e.camera_id in ("cam-1", "cam-2")
        and e.kind in (EventKind.ZONE_ENTER, EventKind.LINE_CROSS)
        and e.zone_id == "gate"
        and e.rule_id == "rule-0"
    ]
    assert expected
    assert store.list_events(filter, limit=1000).items == expected
    assert store.count_events(filter) == len(expected)
    with pytest.raises(ValueError, match="invalid cursor"):
        store.list_events(EventFilter(), cursor="nonsense")

    # A second store, as after a restart, reads what the first committed.
    with SqlStore.open(PostgresStoreConfig(url=postgres_url)) as other:
        assert other.count_events(EventFilter()) == 251


def test_alerts_round_trip_with_audit(store: SqlStore) -> None:
    alert = Alert(
        id="a1",
        rule_id="night-intrusion",
        camera_id="cam-1",
        kind=EventKind.INTRUSION,
        severity=Severity.CRITICAL,
        status=AlertStatus.NEW,
        title="사람 침입",
        opened_at=T0,
        updated_at=T0,
        event_ids=("e1",),
        zone_id="gate",
        class_name="person",
    )
    store.insert_alert(alert)
    assert store.get_alert("a1") == alert
    note = AlertNote("kim", "확인 중", T0 + timedelta(minutes=1))
    acknowledged = replace(
        alert,
        status=AlertStatus.ACKNOWLEDGED,
        updated_at=T0 + timedelta(minutes=1),
        assignee="kim",
        event_ids=("e1", "e2"),
        notes=(note,),
    )
    store.save_alert(acknowledged, (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "kim"))
    resolved = replace(
        acknowledged,
        status=AlertStatus.RESOLVED,
        updated_at=T0 + timedelta(minutes=3),
        closed_at=T0 + timedelta(minutes=3),
        notes=(note, AlertNote("lee", "종료", T0 + timedelta(minutes=3))),
    )
    store.save_alert(resolved, (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, "lee"))
    store.save_alert(resolved)
    assert store.get_alert("a1") == resolved
    with pytest.raises(AlertConflictError):
        store.save_alert(acknowledged, (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "park"))
    assert [(t.from_status, t.to_status, t.by) for t in store.alert_transitions("a1")] == [
        (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "kim"),
        (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, "lee"),
    ]

    for i in range(2, 14):
        store.insert_alert(replace(alert, id=f"a{i}", opened_at=T0 + timedelta(minutes=i // 3)))
    pages = [store.list_alerts(limit=5)]
    while pages[-1].next_cursor is not None:
        pages.append(store.list_alerts(limit=5, cursor=pages[-1].next_cursor))
    listed = [a.id for page in pages for a in page.items]
    assert len(listed) == 13
    assert len(set(listed)) == 13
    assert [a.id for a in store.list_alerts([AlertStatus.RESOLVED]).items] == ["a1"]
    assert len(store.open_alerts()) == 12


def test_observations_cameras_and_media(store: SqlStore, tmp_path: Path) -> None:
    store.add_observations(
        [
            observation_of(ObservationKind.OCCUPANCY, "cam-1", "lobby", T0, 2.0, "person"),
            observation_of(
                ObservationKind.OCCUPANCY,
                "cam-1",
                "lobby",
                T0 + timedelta(seconds=5),
                4.0,
                "person",
            ),
            observation_of(ObservationKind.LINE_COUNT_IN, "cam-2", "door", T0, 11.0),
        ]
    )
    assert store.latest_observations("cam-1") == [
        observation_of(
            ObservationKind.OCCUPANCY, "cam-1", "lobby", T0 + timedelta(seconds=5), 4.0, "person"
        )
    ]
    assert len(store.latest_observations()) == 2

    store.save_camera_status(status_of("cam-1", CameraState.STARTING, T0))
    online = status_of(
        "cam-1",
        CameraState.ONLINE,
        T0 + timedelta(seconds=2),
        fps=5.0,
        last_frame_at=T0,
        frames_decoded=10,
    )
    store.save_camera_status(online)
    assert store.camera_statuses() == [online]

    record = MediaStore(tmp_path).save_snapshot("cam-1", b"\xff\xd8", T0, "e1")
    store.add_media(record)
    assert store.get_media(record.id) == record


def test_audit_rows_appended_from_many_threads_chain_intact(store: SqlStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from cctwin.security.audit import AuditAction, AuditRecord, verify

    def append(i: int) -> None:
        store.append_audit(AuditRecord(T0, f"user:u{i % 4}", AuditAction.VIEW_LIVE, f"cam-{i}"))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(append, range(40)))
    entries = list(store.audit_entries())
    assert [e.seq for e in entries] == list(range(1, 41))
    assert verify(entries) is None
