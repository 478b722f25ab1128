"""The store of record: every table group of the SQL schema behind one object.

SQLite (the embedded default) or PostgreSQL + PostGIS, chosen by the store config; each
group of tables has its own module (events and observations, alerts, cameras and media).
"""

from __future__ import annotations

from cctwin.store.alerts import AlertTables
from cctwin.store.cameras import CameraTables
from cctwin.store.events import EventTables
from cctwin.store.forecasts import ForecastTables
from cctwin.store.replay import ReplayTables
from cctwin.store.retention import RetentionTables
from cctwin.store.rows import (
    AlertConflictError,
    AlertPage,
    EventFilter,
    EventPage,
    TransitionRecord,
)
from cctwin.store.scenarios import ScenarioTables
from cctwin.store.security import SecurityTables
from cctwin.store.unmask import UnmaskTables

__all__ = [
    "AlertConflictError",
    "AlertPage",
    "EventFilter",
    "EventPage",
    "SqlStore",
    "TransitionRecord",
]


class SqlStore(
    EventTables,
    ReplayTables,
    AlertTables,
    CameraTables,
    RetentionTables,
    SecurityTables,
    UnmaskTables,
    ForecastTables,
    ScenarioTables,
):
    """Thread-safe synchronous access to the SQL store; open with `SqlStore.open(config)`.

    Every method runs in its own transaction: when a write returns, it is committed.
    """
