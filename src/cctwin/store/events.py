"""Events and observations in SQL: stored once by id, searched by time, camera, zone, kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    func,
    select,
    tuple_,
)

from cctwin.store.database import Database
from cctwin.store.rows import (
    EVENT_COLUMNS,
    EVENTS,
    OBSERVATION_COLUMNS,
    OBSERVATIONS,
    EventFilter,
    EventPage,
    decode_cursor,
    encode_cursor,
    event_conditions,
    event_from_row,
    event_row,
    observation_from_row,
    observation_row,
)
from cctwin.types import (
    Event,
    Observation,
)


class EventTables(Database):
    """The events and observations tables."""

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
            after_at, after_id = decode_cursor(cursor)
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
            next_cursor = encode_cursor(items[-1].occurred_at, items[-1].id)
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
