"""Alerts and events to report on, shared by the report tests as factory fixtures."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import event_of

from cctwin.types import Alert, AlertStatus, Event, EventKind, Severity

OPENED = datetime(2026, 11, 25, 0, 0, 5, tzinfo=UTC)  # 09:00:05 in Seoul

EventFactory = Callable[..., Event]
AlertFactory = Callable[..., Alert]


def _event(kind: EventKind, track_id: int = 1, **changes: Any) -> Event:
    fields: dict[str, Any] = {
        "kind": kind,
        "camera_id": "cam-3",
        "rule_id": "lawn-rule",
        "occurred_at": OPENED,
        "frame_index": 120,
        "track_id": track_id,
        "class_name": "person",
        "confidence": 0.8,
        "zone_id": "lawn",
    }
    return event_of(**(fields | changes))


def _alert(kind: EventKind, **changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "id": "alert-1",
        "rule_id": "rule-1",
        "camera_id": "cam-3",
        "kind": kind,
        "severity": Severity.HIGH,
        "status": AlertStatus.NEW,
        "title": "t",
        "opened_at": OPENED,
        "updated_at": OPENED,
        "event_ids": ("e1",),
        "zone_id": "lawn",
        "class_name": "person",
    }
    return Alert(**(fields | changes))


@pytest.fixture
def make_event() -> EventFactory:
    return _event


@pytest.fixture
def make_alert() -> AlertFactory:
    return _alert


@pytest.fixture
def loitering() -> tuple[Alert, list[Event]]:
    """Two people loitering on the lawn; the second stayed 95 s."""
    events = [
        _event(EventKind.LOITERING, track_id=7, dwell_s=64.0),
        _event(EventKind.LOITERING, track_id=9, dwell_s=95.4),
        _event(EventKind.LOITERING, track_id=9, dwell_s=30.0),
    ]
    return _alert(EventKind.LOITERING), events
