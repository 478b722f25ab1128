"""The store of record: events, observations, alerts, camera status and media rows in SQL."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from cctwin.config import PostgresStoreConfig, SqliteStoreConfig, StoreConfig
from cctwin.store.engine import WRITE, create_store_engine
from cctwin.store.media import MediaRecord
from cctwin.store.migrate import upgrade_engine
from cctwin.store.rows import (
    ALERT_EVENTS,
    ALERT_NOTES,
    ALERTS,
    CAMERA_STATUS,
    EVENT_COLUMNS,
    EVENTS,
    MEDIA,
    OBSERVATION_COLUMNS,
    OBSERVATIONS,
    OPEN_STATUSES,
    TRANSITION_ROWS,
    AlertConflictError,
    AlertPage,
    EventFilter,
    EventPage,
    TransitionRecord,
    alert_row,
    aware,
    decode_cursor,
    encode_cursor,
    event_conditions,
    event_from_row,
    event_row,
    observation_from_row,
    observation_row,
)
from cctwin.types import (
    ALERT_TRANSITIONS,
    Alert,
    AlertNote,
    AlertStatus,
    CameraState,
    CameraStatus,
    Event,
    EventKind,
    Observation,
    Severity,
)

__all__ = [
    "AlertConflictError",
    "AlertPage",
    "EventFilter",
    "EventPage",
    "SqlStore",
    "TransitionRecord",
]


class SqlStore:
    """Thread-safe synchronous access to the SQL store; open with `SqlStore.open(config)`.

    Every method runs in its own transaction: when a write returns, it is committed.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**WRITE)
        self._sqlite = engine.dialect.name == "sqlite"
        # SQLite has one writer at a time; queueing writers of this process on a lock is fairer
        # and cheaper than letting them poll the file lock (busy_timeout still covers others).
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self._sqlite else nullcontext()
        )

    @classmethod
    def open(cls, config: StoreConfig) -> SqlStore:
        """Connect to the configured database and migrate it to the newest schema."""
        url: str | URL
        if isinstance(config, SqliteStoreConfig):
            path = Path(config.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            url = URL.create("sqlite", database=str(path))
        else:
            assert isinstance(config, PostgresStoreConfig)
            url = config.url
        return cls.open_url(url)

    @classmethod
    def open_url(cls, url: str | URL) -> SqlStore:
        """Connect to a SQLAlchemy URL and migrate the database to the newest schema."""
        engine = create_store_engine(url)
        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name

    def close(self) -> None:
        if self._sqlite:
            # Refreshes the planner statistics the indexes' choice depends on (cheap when
            # fresh). Only an optimisation: a database locked past busy_timeout skips it.
            with suppress(OperationalError), self._writer.begin() as connection:
                connection.exec_driver_sql("PRAGMA optimize")
        self._engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self._writer.begin() as connection:
            yield connection

    def _insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        return sqlite.insert(table) if self._sqlite else postgresql.insert(table)

    # --- events ------------------------------------------------------------------------------

    def add_events(self, events: Sequence[Event]) -> int:
        """Store events in one transaction, skipping ids already stored; returns how many were new."""
        if not events:
            return 0
        stored_at = datetime.now(UTC)
        rows = [event_row(event, stored_at) for event in events]
        statement = (
            self._insert(EVENTS)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(EVENTS.c.id)
        )
        with self._write() as connection:
            return len(connection.execute(statement, rows).all())

    def get_event(self, event_id: str) -> Event | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(*EVENT_COLUMNS).where(EVENTS.c.id == event_id)).first()
        return None if row is None else event_from_row(row)

    def list_events(
        self, filter: EventFilter, limit: int = 50, cursor: str | None = None
    ) -> EventPage:
        """Events matching `filter`, newest first, `limit` at a time (keyset pagination)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        occurred_at, event_id = EVENTS.c.occurred_at, EVENTS.c.id
        after: ColumnElement[bool] | None = None
        if cursor is not None:
            after_at, after_id = decode_cursor(cursor, "events")
            after = tuple_(occurred_at, event_id) < (after_at, after_id)
            if filter.until is not None and after_at < filter.until:
                # The cursor implies `until`. Left in, the database may range-scan from `until`
                # and skip every earlier page's rows, so deep pages would get slower.
                filter = replace(filter, until=None)
        statement = (
            select(*EVENT_COLUMNS)
            .where(*event_conditions(filter))
            .order_by(occurred_at.desc(), event_id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            statement = statement.where(after)
        with self._engine.connect() as connection:
            items = [event_from_row(row) for row in connection.execute(statement)]
        next_cursor = None
        if len(items) > limit:
            del items[limit:]
            next_cursor = encode_cursor("events", items[-1].occurred_at, items[-1].id)
        return EventPage(items=items, next_cursor=next_cursor)

    def count_events(self, filter: EventFilter) -> int:
        statement = select(func.count()).select_from(EVENTS).where(*event_conditions(filter))
        with self._engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    # --- observations ------------------------------------------------------------------------

    def add_observations(self, observations: Sequence[Observation]) -> int:
        """Store observations, skipping fact ids already stored; returns how many were new."""
        if not observations:
            return 0
        rows = [observation_row(o) for o in observations]
        statement = (
            self._insert(OBSERVATIONS)
            .on_conflict_do_nothing(index_elements=["fact_id"])
            .returning(OBSERVATIONS.c.id)
        )
        with self._write() as connection:
            return len(connection.execute(statement, rows).all())

    def latest_observations(self, camera_id: str | None = None) -> list[Observation]:
        """The newest observation of each (camera, rule, kind), of one camera or all."""
        columns = OBSERVATIONS.c
        rank = (
            func.row_number()
            .over(
                partition_by=(columns.camera_id, columns.rule_id, columns.kind),
                order_by=(columns.observed_at.desc(), columns.id.desc()),
            )
            .label("rank")
        )
        ranked = select(*columns[(*OBSERVATION_COLUMNS, "fact_id")], rank)
        if camera_id is not None:
            ranked = ranked.where(columns.camera_id == camera_id)
        inner = ranked.subquery()
        statement = (
            select(*inner.c[(*OBSERVATION_COLUMNS, "fact_id")])
            .where(inner.c.rank == 1)
            .order_by(inner.c.camera_id, inner.c.rule_id, inner.c.kind)
        )
        with self._engine.connect() as connection:
            return [observation_from_row(row) for row in connection.execute(statement)]

    # --- alerts ------------------------------------------------------------------------------

    def insert_alert(self, alert: Alert) -> None:
        """Store a new alert with its events and notes; ValueError if its id exists."""
        try:
            with self._write() as connection:
                connection.execute(ALERTS.insert(), [alert_row(alert)])
                self._link_events(connection, alert)
                self._append_notes(connection, alert)
        except IntegrityError as exc:
            raise ValueError(f"alert {alert.id} already exists") from exc

    def save_alert(
        self, alert: Alert, transition: tuple[AlertStatus, AlertStatus, str] | None = None
    ) -> None:
        """Update a stored alert: its fields, new notes, new event links and, when given, the
        audited workflow move `(from_status, to_status, by)` made at `alert.updated_at`.

        KeyError if the alert was never inserted. ValueError if the move is not in
        ALERT_TRANSITIONS or `alert.status` is not where it leads. AlertConflictError if the
        stored alert is no longer in `from_status` (someone else moved it first).
        """
        row = alert_row(alert)
        del row["id"]
        statement = update(ALERTS).where(ALERTS.c.id == alert.id).values(row)
        if transition is not None:
            from_status, to_status, _ = transition
            if to_status not in ALERT_TRANSITIONS[from_status]:
                raise ValueError(f"an alert cannot move from {from_status} to {to_status}")
            if alert.status != to_status:
                raise ValueError(f"alert status {alert.status} is not the move's {to_status}")
            # Compare-and-set: the move only applies to the status it was decided on.
            statement = statement.where(ALERTS.c.status == from_status.value)
        with self._write() as connection:
            if connection.execute(statement).rowcount == 0:
                stored = connection.execute(
                    select(ALERTS.c.status).where(ALERTS.c.id == alert.id)
                ).scalar_one_or_none()
                if stored is None:
                    raise KeyError(f"no alert {alert.id}")
                raise AlertConflictError(
                    f"alert {alert.id} is {stored}, not {transition[0] if transition else '?'}"
                )
            self._link_events(connection, alert)
            self._append_notes(connection, alert)
            if transition is not None:
                connection.execute(
                    TRANSITION_ROWS.insert(),
                    [
                        {
                            "alert_id": alert.id,
                            "from_status": transition[0].value,
                            "to_status": transition[1].value,
                            "by": transition[2],
                            "at": aware(alert.updated_at, "updated_at"),
                        }
                    ],
                )

    def _link_events(self, connection: Connection, alert: Alert) -> None:
        if not alert.event_ids:
            return
        rows = [
            {"alert_id": alert.id, "event_id": event_id, "position": position}
            for position, event_id in enumerate(alert.event_ids)
        ]
        statement = self._insert(ALERT_EVENTS).on_conflict_do_nothing(
            index_elements=["alert_id", "event_id"]
        )
        connection.execute(statement, rows)

    def _append_notes(self, connection: Connection, alert: Alert) -> None:
        if not alert.notes:
            return
        # Notes carry no id; one already stored is the same (author, text, time). A counter,
        # not a set, so two identical remarks in a row both survive.
        stored = Counter(
            (row.author, row.text, row.written_at)
            for row in connection.execute(
                select(ALERT_NOTES.c.author, ALERT_NOTES.c.text, ALERT_NOTES.c.written_at).where(
                    ALERT_NOTES.c.alert_id == alert.id
                )
            )
        )
        new = []
        for note in alert.notes:
            key = (note.author, note.text, aware(note.written_at, "written_at"))
            if stored[key] > 0:
                stored[key] -= 1
            else:
                new.append(
                    {"alert_id": alert.id, "author": key[0], "text": key[1], "written_at": key[2]}
                )
        if new:
            connection.execute(ALERT_NOTES.insert(), new)

    def get_alert(self, alert_id: str) -> Alert | None:
        with self._engine.connect() as connection:
            rows = connection.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).all()
            alerts = self._assemble_alerts(connection, rows)
        return alerts[0] if alerts else None

    def list_alerts(
        self,
        statuses: Sequence[AlertStatus] | None = None,
        camera_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> AlertPage:
        """Alerts newest opened first, optionally of some statuses and one camera."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        opened_at, alert_id = ALERTS.c.opened_at, ALERTS.c.id
        statement = select(ALERTS).order_by(opened_at.desc(), alert_id.desc()).limit(limit + 1)
        if statuses is not None:
            statement = statement.where(ALERTS.c.status.in_([s.value for s in statuses]))
        if camera_id is not None:
            statement = statement.where(ALERTS.c.camera_id == camera_id)
        if cursor is not None:
            after_at, after_id = decode_cursor(cursor, "alerts")
            statement = statement.where(tuple_(opened_at, alert_id) < (after_at, after_id))
        with self._engine.connect() as connection:
            rows = connection.execute(statement).all()
            more = len(rows) > limit
            items = self._assemble_alerts(connection, rows[:limit])
        next_cursor = None
        if more:
            next_cursor = encode_cursor("alerts", items[-1].opened_at, items[-1].id)
        return AlertPage(items=items, next_cursor=next_cursor)

    def open_alerts(self) -> list[Alert]:
        """Every alert not resolved or dismissed, newest opened first."""
        statement = (
            select(ALERTS)
            .where(ALERTS.c.status.in_([s.value for s in OPEN_STATUSES]))
            .order_by(ALERTS.c.opened_at.desc(), ALERTS.c.id.desc())
        )
        with self._engine.connect() as connection:
            return self._assemble_alerts(connection, connection.execute(statement).all())

    def alert_transitions(self, alert_id: str) -> list[TransitionRecord]:
        """The audit trail of an alert's workflow moves, oldest first."""
        columns = TRANSITION_ROWS.c
        statement = select(TRANSITION_ROWS).where(columns.alert_id == alert_id).order_by(columns.id)
        with self._engine.connect() as connection:
            return [
                TransitionRecord(
                    alert_id=row.alert_id,
                    from_status=AlertStatus(row.from_status),
                    to_status=AlertStatus(row.to_status),
                    by=row.by,
                    at=row.at,
                )
                for row in connection.execute(statement)
            ]

    def _assemble_alerts(self, connection: Connection, rows: Sequence[Row[Any]]) -> list[Alert]:
        """Alerts from their rows plus their events and notes (two queries for all of them)."""
        if not rows:
            return []
        ids = [row.id for row in rows]
        event_ids: dict[str, list[str]] = defaultdict(list)
        for link in connection.execute(
            select(ALERT_EVENTS.c.alert_id, ALERT_EVENTS.c.event_id)
            .where(ALERT_EVENTS.c.alert_id.in_(ids))
            .order_by(ALERT_EVENTS.c.alert_id, ALERT_EVENTS.c.position)
        ):
            event_ids[link.alert_id].append(link.event_id)
        notes: dict[str, list[AlertNote]] = defaultdict(list)
        for note in connection.execute(
            select(ALERT_NOTES).where(ALERT_NOTES.c.alert_id.in_(ids)).order_by(ALERT_NOTES.c.id)
        ):
            notes[note.alert_id].append(
                AlertNote(author=note.author, text=note.text, written_at=note.written_at)
            )
        return [
            Alert(
                id=row.id,
                rule_id=row.rule_id,
                camera_id=row.camera_id,
                kind=EventKind(row.kind),
                severity=Severity(row.severity),
                status=AlertStatus(row.status),
                title=row.title,
                title_ko=row.title_ko,
                opened_at=row.opened_at,
                updated_at=row.updated_at,
                event_ids=tuple(event_ids[row.id]),
                zone_id=row.zone_id,
                class_name=row.class_name,
                assignee=row.assignee,
                closed_at=row.closed_at,
                snapshot_id=row.snapshot_id,
                clip_id=row.clip_id,
                notes=tuple(notes[row.id]),
            )
            for row in rows
        ]

    # --- cameras -----------------------------------------------------------------------------

    def save_camera_status(self, status: CameraStatus) -> None:
        """Insert or replace a camera's status (one row per camera)."""
        row = {
            "camera_id": status.camera_id,
            "state": status.state.value,
            "reported_at": aware(status.reported_at, "reported_at"),
            "fps": status.fps,
            "last_frame_at": status.last_frame_at,
            "frames_decoded": status.frames_decoded,
            "frames_analysed": status.frames_analysed,
            "frames_dropped": status.frames_dropped,
            "frames_corrupt": status.frames_corrupt,
            "reconnects": status.reconnects,
            "lag_s": status.lag_s,
            "last_error": status.last_error,
        }
        statement = self._insert(CAMERA_STATUS).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["camera_id"],
            set_={name: statement.excluded[name] for name in row if name != "camera_id"},
        )
        with self._write() as connection:
            connection.execute(statement)

    def camera_statuses(self) -> list[CameraStatus]:
        """Every camera's last reported status, by camera id."""
        statement = select(CAMERA_STATUS).order_by(CAMERA_STATUS.c.camera_id)
        with self._engine.connect() as connection:
            return [
                CameraStatus(
                    camera_id=row.camera_id,
                    state=CameraState(row.state),
                    reported_at=row.reported_at,
                    fps=row.fps,
                    last_frame_at=row.last_frame_at,
                    frames_decoded=row.frames_decoded,
                    frames_analysed=row.frames_analysed,
                    frames_dropped=row.frames_dropped,
                    frames_corrupt=row.frames_corrupt,
                    reconnects=row.reconnects,
                    lag_s=row.lag_s,
                    last_error=row.last_error,
                )
                for row in connection.execute(statement)
            ]

    # --- media -------------------------------------------------------------------------------

    def add_media(self, record: MediaRecord) -> None:
        self.add_media_records([record])

    def add_media_records(self, records: Sequence[MediaRecord]) -> int:
        """Store media rows, skipping ids already stored; returns how many were new."""
        if not records:
            return 0
        rows = [
            record.model_dump(mode="json", exclude={"v"})
            | {"created_at": aware(record.created_at, "created_at")}
            for record in records
        ]
        statement = (
            self._insert(MEDIA).on_conflict_do_nothing(index_elements=["id"]).returning(MEDIA.c.id)
        )
        with self._write() as connection:
            return len(connection.execute(statement, rows).all())

    def alert_of_event(self, event_id: str) -> str | None:
        """The id of the alert an event opened or joined, if any."""
        statement = select(ALERT_EVENTS.c.alert_id).where(ALERT_EVENTS.c.event_id == event_id)
        with self._engine.connect() as connection:
            found = connection.execute(statement.limit(1)).scalar_one_or_none()
        return None if found is None else str(found)

    def get_media(self, media_id: str) -> MediaRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(MEDIA).where(MEDIA.c.id == media_id)).first()
        if row is None:
            return None
        return MediaRecord.model_validate(row._asdict())


# --- rows <-> domain types -------------------------------------------------------------------

# stored_at is bookkeeping, not part of Event.
