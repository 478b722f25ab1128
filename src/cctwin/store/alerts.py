"""Alerts in SQL: current state, the events they gathered, notes and audited transitions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from cctwin.store.database import Database
from cctwin.store.rows import (
    ALERT_EVENTS,
    ALERT_NOTES,
    ALERTS,
    OPEN_STATUSES,
    TRANSITION_ROWS,
    AlertConflictError,
    AlertPage,
    TransitionRecord,
    alert_row,
    aware,
    decode_cursor,
    encode_cursor,
)
from cctwin.types import (
    ALERT_TRANSITIONS,
    Alert,
    AlertNote,
    AlertStatus,
    EventKind,
    Severity,
)


class AlertTables(Database):
    """The alerts, alert_events, alert_notes and alert_transitions tables."""

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
            after_at, after_id = decode_cursor(cursor)
            statement = statement.where(tuple_(opened_at, alert_id) < (after_at, after_id))
        with self._engine.connect() as connection:
            rows = connection.execute(statement).all()
            more = len(rows) > limit
            items = self._assemble_alerts(connection, rows[:limit])
        next_cursor = None
        if more:
            next_cursor = encode_cursor(items[-1].opened_at, items[-1].id)
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

    def alert_of_event(self, event_id: str) -> str | None:
        """The id of the alert an event opened or joined, if any."""
        statement = select(ALERT_EVENTS.c.alert_id).where(ALERT_EVENTS.c.event_id == event_id)
        with self._engine.connect() as connection:
            found = connection.execute(statement.limit(1)).scalar_one_or_none()
        return None if found is None else str(found)
