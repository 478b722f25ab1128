"""Replay reads of the store of record: alerts open at a moment, the media of events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select

from cctwin.store.alerts import AlertTables
from cctwin.store.rows import ALERTS, MEDIA
from cctwin.types import Alert

_CHUNK = 500  # ids per IN (...) clause


class ReplayTables(AlertTables):
    """What the replay slider needs besides the twin's history (store/history.py)."""

    def alerts_open_at(
        self, at: datetime, camera_ids: Sequence[str] = (), limit: int = 200
    ) -> list[Alert]:
        """Alerts opened at or before `at` and not closed by then, newest first.

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
            return self._assemble_alerts(connection, connection.execute(statement).all())

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
