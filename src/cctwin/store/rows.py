"""Rows <-> domain objects for the SQL store: tables, filters, pages, cursors, converters."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
)

from cctwin.store.tables import Base
from cctwin.types import (
    Alert,
    AlertStatus,
    Event,
    EventKind,
    Observation,
)

EVENTS = Base.metadata.tables["events"]
OBSERVATIONS = Base.metadata.tables["observations"]
ALERTS = Base.metadata.tables["alerts"]
ALERT_EVENTS = Base.metadata.tables["alert_events"]
ALERT_NOTES = Base.metadata.tables["alert_notes"]
TRANSITION_ROWS = Base.metadata.tables["alert_transitions"]
CAMERA_STATUS = Base.metadata.tables["camera_status"]
MEDIA = Base.metadata.tables["media"]

OPEN_STATUSES = tuple(
    s for s in AlertStatus if s not in (AlertStatus.RESOLVED, AlertStatus.DISMISSED)
)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to list or count; an empty tuple means any.

    `since` is inclusive and `until` exclusive; both must be timezone-aware.
    """

    since: datetime | None = None
    until: datetime | None = None
    camera_ids: tuple[str, ...] = ()
    zone_ids: tuple[str, ...] = ()
    kinds: tuple[EventKind, ...] = ()
    rule_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"EventFilter.{name} must be timezone-aware")
        # Callers may pass lists; tuples keep the filter hashable.
        for name in ("camera_ids", "zone_ids", "kinds", "rule_ids"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of events, newest first; pass `next_cursor` back for the next (None = last)."""

    items: list[Event]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One page of alerts, newest opened first; `next_cursor` None = last page."""

    items: list[Alert]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """One audited workflow move of an alert."""

    alert_id: str
    from_status: AlertStatus
    to_status: AlertStatus
    by: str
    at: datetime


class AlertConflictError(RuntimeError):
    """The stored alert is no longer in the status a transition starts from (a concurrent move)."""


EVENT_COLUMNS = tuple(column for column in EVENTS.c if column.name != "stored_at")


def aware(value: datetime, name: str) -> datetime:
    # Checked here, not only in UtcDateTime, so the caller gets a plain ValueError naming the
    # field rather than SQLAlchemy's StatementError.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value


# The columns an event shares with its wire model; the kind-specific rest is `payload` JSON.
_EVENT_SCALARS = tuple(
    name for name in Event.model_fields if name not in ("v", "payload", "detected_monotonic_s")
)


def event_row(event: Event, stored_at: datetime) -> dict[str, Any]:
    aware(event.occurred_at, "occurred_at")
    row = event.model_dump(mode="json", include=set(_EVENT_SCALARS))
    row["occurred_at"] = event.occurred_at
    row["payload"] = event.payload.model_dump_json()
    row["stored_at"] = stored_at
    return row


def event_from_row(row: Row[Any]) -> Event:
    values = {name: getattr(row, name) for name in _EVENT_SCALARS}
    if row.payload is not None:
        values["payload"] = json.loads(row.payload)
    return Event.model_validate(values)


def observation_row(observation: Observation) -> dict[str, Any]:
    aware(observation.observed_at, "observed_at")
    row = observation.model_dump(mode="json", exclude={"v", "id"})
    row["observed_at"] = observation.observed_at
    row["fact_id"] = observation.id
    return row


OBSERVATION_COLUMNS = tuple(n for n in Observation.model_fields if n not in ("v", "id"))


def observation_from_row(row: Row[Any]) -> Observation:
    values = {name: getattr(row, name) for name in OBSERVATION_COLUMNS}
    return Observation.model_validate(values | ({"id": row.fact_id} if row.fact_id else {}))


def event_conditions(filter: EventFilter) -> list[ColumnElement[bool]]:
    columns = EVENTS.c
    conditions: list[ColumnElement[bool]] = []
    if filter.since is not None:
        conditions.append(columns.occurred_at >= filter.since)
    if filter.until is not None:
        conditions.append(columns.occurred_at < filter.until)
    if filter.camera_ids:
        conditions.append(columns.camera_id.in_(filter.camera_ids))
    if filter.zone_ids:
        conditions.append(columns.zone_id.in_(filter.zone_ids))
    if filter.kinds:
        conditions.append(columns.kind.in_([EventKind(kind).value for kind in filter.kinds]))
    if filter.rule_ids:
        conditions.append(columns.rule_id.in_(filter.rule_ids))
    return conditions


def alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule_id": alert.rule_id,
        "camera_id": alert.camera_id,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "status": alert.status.value,
        "title": alert.title,
        "title_ko": alert.title_ko,
        "opened_at": aware(alert.opened_at, "opened_at"),
        "updated_at": aware(alert.updated_at, "updated_at"),
        "closed_at": alert.closed_at,
        "zone_id": alert.zone_id,
        "class_name": alert.class_name,
        "assignee": alert.assignee,
        "snapshot_id": alert.snapshot_id,
        "clip_id": alert.clip_id,
    }


# --- cursors ---------------------------------------------------------------------------------


# A cursor is the position after a row: its time in microseconds since 1970 (UTC), a dot, and
# its id's UTF-8 bytes in lowercase hex. Every text of this form is a position (a page simply
# starts after it), so the pattern the API document gives is the whole rule: no cursor that
# matches it is refused, and none has to have been issued by this server.
CURSOR_PATTERN = r"^[0-9]{1,16}\.(?:[0-9a-f]{2})*$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(at: datetime, row_id: str) -> str:
    """The position after a row (its time and id), as URL-safe text matching CURSOR_PATTERN."""
    micros = (at.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    return f"{max(micros, 0)}.{row_id.encode().hex()}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(time, id) of a cursor; ValueError naming the form when it does not match it."""
    if not _CURSOR.match(cursor):
        raise ValueError(f"invalid cursor {cursor!r}: expected microseconds.hex-of-id")
    micros, hex_id = cursor.split(".")
    at = _EPOCH + timedelta(microseconds=int(micros))
    # Bytes that are not UTF-8 cannot be an id stored here; read they still order as a position.
    return at, bytes.fromhex(hex_id).decode("utf-8", errors="replace")
