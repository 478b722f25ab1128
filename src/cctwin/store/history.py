"""The twin's history read model on the NGSI-LD instances: state at a moment, series, rollup."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from sqlalchemy import ColumnElement, Integer, Select, and_, cast, delete, func, select

from cctwin.store.database import Database
from cctwin.store.tables import NgsiEntityRow, NgsiInstanceRow

I = NgsiInstanceRow  # noqa: E741 (the one table every query here reads)
_CHUNK = 500  # rows per insert of rollups
# Up to this many steps the database groups the rows; finer series are folded in Python.
_SQL_STEPS = 2000


@dataclass(frozen=True, slots=True)
class ValueAt:
    """An attribute's value at a moment: its newest instance at or before it."""

    entity_id: str
    attr: str
    observed_ts: float
    value: Any
    resolution_s: float
    # The entity's (first, expanded) type where the read knows it (others_at).
    entity_type: str = ""


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One step of a chart: mean, maximum and last value of an attribute in [start, start+step)."""

    start_ts: float
    mean: float
    high: float
    last: float
    rows: int


@dataclass(slots=True)
class _Minute:
    entity_id: str
    attr: str
    period: int
    numbers: list[float]
    last_body: str


class HistoryTables(Database):
    """Reads the twin's history at raw resolution and as one-minute rollups, and rolls it up."""

    def values_at(self, at_ts: float, lookback_s: float, attrs: Sequence[str]) -> list[ValueAt]:
        """Per entity and attribute (of `attrs`), the newest instance in (at - lookback, at].

        One range scan of the time index for the window, then the newest rows found by the
        (entity, attr, time) index: cheap for any window of minutes whatever the history's age.
        A rollup of [M, M + period) counts only once its period has ended (M + period <= at):
        its last value is the state at the period's end, which replay must not show earlier.
        """
        window = and_(
            I.observed_ts <= at_ts,
            I.observed_ts > at_ts - lookback_s,
            I.observed_ts + I.resolution_s <= at_ts,
            I.attr.in_(attrs),
        )
        with self._engine.connect() as connection:
            rows = connection.execute(_newest_in(window)).all()
        return [_value_at(r) for r in rows]

    def others_at(self, at_ts: float, lookback_s: float, own_types: Sequence[str]) -> list[ValueAt]:
        """Every attribute's newest instance in (at - lookback, at] of the entities other
        systems pushed (a type not in `own_types`: rain gauges, river sensors...).

        Found by the entities' table, not by scanning the window (cctwin's own zones write
        thousands of rows a minute); then the (entity, attr, time) index per entity.
        """
        E = NgsiEntityRow  # noqa: N806
        others = select(E.id, E.type).where(E.type.not_in(own_types))
        with self._engine.connect() as connection:
            types = {str(i): str(t) for i, t in connection.execute(others)}
        if not types:
            return []
        window = and_(
            I.entity_id.in_(list(types)),
            I.observed_ts <= at_ts,
            I.observed_ts > at_ts - lookback_s,
            I.observed_ts + I.resolution_s <= at_ts,
        )
        with self._engine.connect() as connection:
            rows = connection.execute(_newest_in(window)).all()
        return [dataclasses.replace(_value_at(r), entity_type=types[r.entity_id]) for r in rows]

    def series(
        self, entity_id: str, attr: str, start_ts: float, end_ts: float, step_s: float
    ) -> list[SeriesPoint]:
        """An attribute's numeric history in steps of `step_s` from `start_ts` (charts).

        The database groups the rows per step (mean, maximum of rollups' maxima, count, newest
        time) and one join on the (entity, attr, time) index fetches each step's last value,
        so a month of minutes comes back as one row per step.
        """
        if (end_ts - start_ts) / step_s > _SQL_STEPS:
            return self._series_rows(entity_id, attr, start_ts, end_ts, step_s)
        offset = (I.observed_ts - start_ts) / step_s
        step: ColumnElement[Any] = cast(offset, Integer) if self._sqlite else func.floor(offset)
        grouped = (
            select(
                step.label("step"),
                func.avg(I.number).label("mean"),
                func.max(func.coalesce(I.high, I.number)).label("high"),
                func.count().label("rows"),
                func.max(I.observed_ts).label("newest"),
            )
            .where(
                I.entity_id == entity_id,
                I.attr == attr,
                I.observed_ts >= start_ts,
                I.observed_ts < end_ts,
                I.number.is_not(None),
            )
            .group_by(step)
            .subquery()
        )
        query = (
            select(grouped, func.coalesce(I.last, I.number))
            .join(
                I,
                and_(
                    I.entity_id == entity_id,
                    I.attr == attr,
                    I.observed_ts == grouped.c.newest,
                    I.number.is_not(None),
                ),
            )
            .order_by(grouped.c.step)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        points: dict[int, SeriesPoint] = {}
        for index, mean, high, count, _, last in rows:
            # Two instances at the very same time would join twice; either is "last".
            points[int(index)] = SeriesPoint(
                start_ts + int(index) * step_s, float(mean), float(high), float(last), int(count)
            )
        return list(points.values())

    def _series_rows(
        self, entity_id: str, attr: str, start_ts: float, end_ts: float, step_s: float
    ) -> list[SeriesPoint]:
        # Steps about as fine as the rows: grouping in SQL and joining back would cost more
        # than reading the rows once in time order and folding them here.
        query = (
            # A raw row's maximum and last value are its number: coalesced here, so every
            # column comes back a float and numpy takes the rows without a check per value.
            select(
                I.observed_ts,
                I.number,
                func.coalesce(I.high, I.number),
                func.coalesce(I.last, I.number),
            )
            .where(
                I.entity_id == entity_id,
                I.attr == attr,
                I.observed_ts >= start_ts,
                I.observed_ts < end_ts,
                I.number.is_not(None),
            )
            .order_by(I.observed_ts)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return _steps(rows, start_ts, step_s)

    def roll_up(self, before_ts: float, period_s: float = 60.0) -> int:
        """Replace raw instances observed before `before_ts` by one row per attribute and
        period: mean in `number` (and the body's value), maximum in `high`, last in `last`;
        an attribute without numbers (a level, a state) keeps the last instance of the period.
        How many raw instances went."""
        raw = and_(I.resolution_s == 0, I.observed_ts < before_ts)
        query = (
            select(I.entity_id, I.attr, I.observed_ts, I.number, I.body)
            .where(raw)
            .order_by(I.entity_id, I.attr, I.observed_ts)
        )
        with self._write() as connection:
            rollups = [
                _rollup_row(m, period_s) for m in _minutes(connection.execute(query), period_s)
            ]
            gone = connection.execute(delete(I).where(raw)).rowcount
            for start in range(0, len(rollups), _CHUNK):
                connection.execute(I.__table__.insert(), rollups[start : start + _CHUNK])  # type: ignore[attr-defined]
        return int(gone or 0)


def _steps(rows: Sequence[Iterable[Any]], start_ts: float, step_s: float) -> list[SeriesPoint]:
    """Rows (time, number, high, last) in time order folded per step, column-wise in numpy:
    a month of minutes is 43,200 rows, too many for a loop in Python within 200 ms."""
    if not rows:
        return []
    flat = np.fromiter(itertools.chain.from_iterable(rows), np.float64, 4 * len(rows))
    times, numbers, highs, lasts = flat.reshape(-1, 4).T
    steps = np.floor_divide(times - start_ts, step_s).astype(np.int64)
    firsts = np.flatnonzero(np.diff(steps, prepend=steps[0] - 1))
    ends = np.append(firsts[1:], len(steps)) - 1
    counts = ends - firsts + 1
    totals = np.add.reduceat(numbers, firsts)
    highs = np.maximum.reduceat(highs, firsts)
    lasts = lasts[ends]
    return [
        SeriesPoint(start_ts + index * step_s, total / count, high, last, count)
        for index, total, count, high, last in zip(
            steps[firsts].tolist(),
            totals.tolist(),
            counts.tolist(),
            highs.tolist(),
            lasts.tolist(),
            strict=True,
        )
    ]


def _value_at(row: Any) -> ValueAt:
    body = orjson.loads(row.body)
    value = body.get("object") if body.get("type") == "Relationship" else body.get("value")
    # A rollup shows its last value: the state at the end of the minute, like a raw instance.
    if row.last is not None and not isinstance(value, bool):
        value = row.last
    return ValueAt(row.entity_id, row.attr, float(row.observed_ts), value, float(row.resolution_s))


def _minutes(rows: Iterable[Any], period_s: float) -> Iterator[_Minute]:
    """Rows in (entity, attr, time) order grouped per entity, attribute and period."""
    current: _Minute | None = None
    for entity_id, attr, ts, number, body in rows:
        period = int(ts // period_s)
        if current is None or (current.entity_id, current.attr, current.period) != (
            entity_id,
            attr,
            period,
        ):
            if current is not None:
                yield current
            current = _Minute(entity_id, attr, period, [], body)
        if number is not None:
            current.numbers.append(float(number))
        current.last_body = body
    if current is not None:
        yield current


def _rollup_row(minute: _Minute, period_s: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entity_id": minute.entity_id,
        "attr": minute.attr,
        "observed_ts": minute.period * period_s,
        "resolution_s": period_s,
        "number": None,
        "high": None,
        "last": None,
        "body": minute.last_body,
    }
    if minute.numbers:
        mean = sum(minute.numbers) / len(minute.numbers)
        row |= {
            "number": mean,
            "high": max(minute.numbers),
            "last": minute.numbers[-1],
            "body": orjson.dumps({"type": "Property", "value": mean}).decode(),
        }
    return row


def _newest_in(
    window: ColumnElement[bool],
) -> Select[str, str, float, str, float | None, float]:
    """The newest instance per (entity, attribute) among the rows `window` selects."""
    newest = (
        select(I.entity_id, I.attr, func.max(I.observed_ts).label("ts"))
        .where(window)
        .group_by(I.entity_id, I.attr)
        .subquery()
    )
    return select(I.entity_id, I.attr, I.observed_ts, I.body, I.last, I.resolution_s).join(
        newest,
        and_(
            I.entity_id == newest.c.entity_id,
            I.attr == newest.c.attr,
            I.observed_ts == newest.c.ts,
        ),
    )
