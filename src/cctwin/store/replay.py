"""Replay reads of the store of record: alerts open at a moment, the media of events."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, or_, select

from cctwin.store.alerts import AlertTables
from cctwin.store.rows import ALERTS, MEDIA, TRANSITION_ROWS, aware
from cctwin.types import Alert, AlertStatus

_CHUNK = 500  # ids per IN (...) clause


class ReplayTables(AlertTables):
    """What the replay slider needs besides the twin's history (store/history.py)."""

    def alerts_open_at(
        self, at: datetime, camera_ids: Sequence[str] = (), limit: int = 200
    ) -> list[Alert]:
        """Alerts opened at or before `at` and not closed by then, newest first, each with
        its status at `at` (from its audited moves), not the status it has now.

        The (opened_at, id) index is scanned backwards from `at`, so the cost is the number
        of alerts opened before it that are looked at, at most `limit` kept.
        """
        statement = (
            select(ALERTS)
            .where(
                ALERTS.c.opened_at <= at,
                or_(ALERTS.c.closed_at.is_(None), ALERTS.c.closed_at > at),
            )
            .order_by(ALERTS.c.opened_at.desc(), ALERTS.c.id.desc())
            .limit(limit)
        )
        if camera_ids:
            statement = statement.where(ALERTS.c.camera_id.in_(camera_ids))
        with self._engine.connect() as connection:
            alerts = self._assemble_alerts(connection, connection.execute(statement).all())
            moves = self._moves(connection, [a.id for a in alerts])
        return [_as_at(alert, moves.get(alert.id, []), at) for alert in alerts]

    def _moves(self, connection: Connection, ids: Sequence[str]) -> dict[str, list[_Move]]:
        """Each alert's workflow moves (from, to, when) in the order they were made."""
        found: dict[str, list[_Move]] = {}
        columns = TRANSITION_ROWS.c
        for start in range(0, len(ids), _CHUNK):
            rows = connection.execute(
                select(columns.alert_id, columns.from_status, columns.to_status, columns.at)
                .where(columns.alert_id.in_(ids[start : start + _CHUNK]))
                .order_by(columns.id)
            ).all()
            for alert_id, from_status, to_status, moved_at in rows:
                found.setdefault(alert_id, []).append(
                    _Move(AlertStatus(from_status), AlertStatus(to_status), aware(moved_at, "at"))
                )
        return found

    def media_of_events(self, event_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """Event id -> {"snapshot": media id, "clip": media id} (the newest of each kind)."""
        found: dict[str, dict[str, str]] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(event_ids), _CHUNK):
                chunk = event_ids[start : start + _CHUNK]
                rows = connection.execute(
                    select(MEDIA.c.id, MEDIA.c.kind, MEDIA.c.event_id)
                    .where(MEDIA.c.event_id.in_(chunk))
                    .order_by(MEDIA.c.created_at)
                ).all()
                for row in rows:
                    found.setdefault(str(row.event_id), {})[str(row.kind)] = str(row.id)
        return found


@dataclasses.dataclass(frozen=True, slots=True)
class _Move:
    from_status: AlertStatus
    to_status: AlertStatus
    at: datetime


def _as_at(alert: Alert, moves: Sequence[_Move], at: datetime) -> Alert:
    """The alert as it stood at `at`: the status its last move by then led to; before any
    move, the status the first move started from; with no moves recorded, NEW when it is
    closed now (every alert opens NEW, and it was open at `at`), else its current status."""
    done = [m for m in moves if m.at <= at]
    if done:
        status = done[-1].to_status
    elif moves:
        status = moves[0].from_status
    elif alert.closed_at is not None:
        status = AlertStatus.NEW
    else:
        return alert
    return dataclasses.replace(alert, status=status, closed_at=None)
