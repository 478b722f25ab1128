"""The forecast ledger in SQL: forecasts as issued, their scores, the running score."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, select

from cctwin.forecast.ledger import (
    ForecastPoint,
    ForecastScore,
    LatestForecast,
    Quantity,
    RunningScore,
)
from cctwin.messages import Observation, ObservationKind
from cctwin.store.database import Database
from cctwin.store.rows import OBSERVATION_COLUMNS, OBSERVATIONS, observation_from_row
from cctwin.store.tables import Base

FORECASTS = Base.metadata.tables["forecasts"]
SCORES = Base.metadata.tables["forecast_scores"]
POINT_COLUMNS = tuple(ForecastPoint.model_fields)
SCORE_COLUMNS = tuple(ForecastScore.model_fields)
_CROWD_KINDS = (ObservationKind.CROWD_COUNT.value, ObservationKind.CROWD_DENSITY.value)


def _point(row: Row[Any]) -> ForecastPoint:
    return ForecastPoint.model_validate({name: getattr(row, name) for name in POINT_COLUMNS})


class ForecastTables(Database):
    """The forecasts and forecast_scores tables."""

    def add_forecasts(self, points: Sequence[ForecastPoint]) -> int:
        """Store forecasts, skipping ids already stored; returns how many were new."""
        if not points:
            return 0
        rows = [p.model_dump(mode="python") for p in points]
        for row in rows:
            row["quantity"] = str(row["quantity"])
        statement = (
            self._insert(FORECASTS)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(FORECASTS.c.id)
        )
        with self._write() as connection:
            return len(connection.execute(statement, rows).all())

    def add_forecast_scores(self, scores: Sequence[ForecastScore]) -> int:
        """Store scores of stored forecasts (a forecast is scored once)."""
        if not scores:
            return 0
        now = datetime.now(UTC)
        rows = [s.model_dump(mode="python") | {"scored_at": now} for s in scores]
        statement = (
            self._insert(SCORES)
            .on_conflict_do_nothing(index_elements=["forecast_id"])
            .returning(SCORES.c.forecast_id)
        )
        with self._write() as connection:
            return len(connection.execute(statement, rows).all())

    def pending_forecasts(self, since: datetime) -> list[ForecastPoint]:
        """Forecasts whose target is at or after `since` and not yet scored."""
        statement = (
            select(*(FORECASTS.c[name] for name in POINT_COLUMNS))
            .outerjoin(SCORES, SCORES.c.forecast_id == FORECASTS.c.id)
            .where(FORECASTS.c.target_at >= since, SCORES.c.forecast_id.is_(None))
        )
        with self._engine.connect() as connection:
            return [_point(row) for row in connection.execute(statement)]

    def crowd_history(self, since: datetime) -> list[Observation]:
        """Crowd count and density observations since a time, oldest first."""
        statement = (
            select(*(OBSERVATIONS.c[n] for n in OBSERVATION_COLUMNS), OBSERVATIONS.c.fact_id)
            .where(OBSERVATIONS.c.kind.in_(_CROWD_KINDS), OBSERVATIONS.c.observed_at >= since)
            .order_by(OBSERVATIONS.c.observed_at)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(statement)
            return [observation_from_row(row) for row in rows]  # type: ignore[arg-type]

    def latest_forecasts(self, camera_ids: set[str] | None = None) -> list[LatestForecast]:
        """Each zone's newest issue: its points (one per horizon) and the latest value seen."""
        zone = (FORECASTS.c.camera_id, FORECASTS.c.rule_id, FORECASTS.c.quantity)
        newest = (
            select(*zone, func.max(FORECASTS.c.issued_at).label("issued_at")).group_by(*zone)
        ).subquery()
        statement = (
            select(*(FORECASTS.c[name] for name in POINT_COLUMNS))
            .join(
                newest,
                and_(
                    FORECASTS.c.camera_id == newest.c.camera_id,
                    FORECASTS.c.rule_id == newest.c.rule_id,
                    FORECASTS.c.quantity == newest.c.quantity,
                    FORECASTS.c.issued_at == newest.c.issued_at,
                ),
            )
            .order_by(FORECASTS.c.camera_id, FORECASTS.c.rule_id, FORECASTS.c.horizon_min)
        )
        if camera_ids is not None:
            statement = statement.where(FORECASTS.c.camera_id.in_(sorted(camera_ids)))
        with self._engine.connect() as connection:
            points = [_point(row) for row in connection.execute(statement)]
        grouped: dict[tuple[str, str, Quantity], list[ForecastPoint]] = {}
        for p in points:
            grouped.setdefault((p.camera_id, p.rule_id, p.quantity), []).append(p)
        return [
            LatestForecast(
                camera_id=c,
                rule_id=r,
                quantity=q,
                issued_at=ps[0].issued_at,
                latest_value=self._latest_value(c, r, q),
                points=ps,
            )
            for (c, r, q), ps in grouped.items()
        ]

    def _latest_value(self, camera_id: str, rule_id: str, quantity: Quantity) -> float | None:
        statement = (
            select(OBSERVATIONS.c.value)
            .where(
                OBSERVATIONS.c.camera_id == camera_id,
                OBSERVATIONS.c.rule_id == rule_id,
                OBSERVATIONS.c.kind == quantity.value,
            )
            .order_by(OBSERVATIONS.c.observed_at.desc())
            .limit(1)
        )
        with self._engine.connect() as connection:
            value = connection.execute(statement).scalar()
        return None if value is None else float(value)

    def ledger_scores(self, camera_ids: set[str] | None = None) -> list[RunningScore]:
        """The running score of each zone and quantity, then overall (camera_id None)."""
        f, s = FORECASTS.c, SCORES.c
        measures = (
            func.count(s.forecast_id).label("scored"),
            func.avg(s.abs_error).label("mae"),
            func.avg(s.baseline_abs_error).label("baseline_mae"),
            func.avg(s.scaled_error).label("mase"),
            func.avg(s.baseline_scaled_error).label("baseline_mase"),
            func.avg(case((s.forecast_id.is_(None), None), (s.inside_band, 1.0), else_=0.0)).label(
                "band_coverage"
            ),
            func.avg(case((s.level_right.is_(None), None), (s.level_right, 1.0), else_=0.0)).label(
                "level_accuracy"
            ),
            func.sum(case((s.forecast_id.is_(None), 1), else_=0)).label("pending"),
        )
        base = select(f.camera_id, f.rule_id, f.quantity, *measures).outerjoin(
            SCORES, s.forecast_id == f.id
        )
        if camera_ids is not None:
            base = base.where(f.camera_id.in_(sorted(camera_ids)))
        per_zone = base.group_by(f.camera_id, f.rule_id, f.quantity).order_by(
            f.camera_id, f.rule_id, f.quantity
        )
        overall = select(*measures).select_from(FORECASTS).outerjoin(SCORES, s.forecast_id == f.id)
        if camera_ids is not None:
            overall = overall.where(f.camera_id.in_(sorted(camera_ids)))
        with self._engine.connect() as connection:
            rows = list(connection.execute(per_zone))
            total = connection.execute(overall).one()
        out = [_running(row._mapping, row.camera_id, row.rule_id, row.quantity) for row in rows]
        out.append(_running(total._mapping, None, None, None))
        return out


def _running(
    m: Any, camera_id: str | None, rule_id: str | None, quantity: str | None
) -> RunningScore:
    def num(name: str) -> float | None:
        return None if m[name] is None else float(m[name])

    return RunningScore(
        camera_id=camera_id,
        rule_id=rule_id,
        quantity=None if quantity is None else Quantity(quantity),
        scored=int(m["scored"] or 0),
        mae=num("mae"),
        baseline_mae=num("baseline_mae"),
        mase=num("mase"),
        baseline_mase=num("baseline_mase"),
        band_coverage=num("band_coverage") if m["scored"] else None,
        level_accuracy=num("level_accuracy"),
        pending=int(m["pending"] or 0),
    )
