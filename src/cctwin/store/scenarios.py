"""What-if runs in SQL: one row per crowd or flood run, newest first."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update

from cctwin.scenarios.records import RunStatus, ScenarioRun
from cctwin.store.database import Database
from cctwin.store.rows import aware
from cctwin.store.tables import Base, ScenarioRunRow

SCENARIO_RUNS = Base.metadata.tables[ScenarioRunRow.__tablename__]


def _run(row: Any) -> ScenarioRun:
    return ScenarioRun(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=RunStatus(row.status),
        created_at=row.created_at,
        finished_at=row.finished_at,
        scenario=json.loads(row.scenario),
        versions=json.loads(row.versions),
        summary=json.loads(row.summary),
        detail_path=row.detail_path,
        error=row.error,
    )


class ScenarioTables(Database):
    """The scenario_runs table."""

    def save_scenario_run(self, run: ScenarioRun) -> None:
        """Insert a run, or replace it when its id is already stored (a run that finished)."""
        row = {
            "id": run.id,
            "kind": run.kind,
            "name": run.name,
            "status": run.status.value,
            "created_at": aware(run.created_at, "created_at"),
            "finished_at": run.finished_at,
            "scenario": json.dumps(run.scenario, ensure_ascii=False),
            "versions": json.dumps(run.versions),
            "summary": json.dumps(run.summary, ensure_ascii=False),
            "detail_path": run.detail_path,
            "error": run.error,
        }
        statement = self._insert(SCENARIO_RUNS).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["id"], set_={k: statement.excluded[k] for k in row if k != "id"}
        )
        with self._write() as connection:
            connection.execute(statement)

    def scenario_run(self, run_id: str) -> ScenarioRun | None:
        statement = select(SCENARIO_RUNS).where(SCENARIO_RUNS.c.id == run_id)
        with self._engine.connect() as connection:
            row = connection.execute(statement).first()
        return None if row is None else _run(row)

    def scenario_runs(self, limit: int = 50, kind: str | None = None) -> list[ScenarioRun]:
        """The newest runs first."""
        statement = select(SCENARIO_RUNS).order_by(SCENARIO_RUNS.c.created_at.desc()).limit(limit)
        if kind is not None:
            statement = statement.where(SCENARIO_RUNS.c.kind == kind)
        with self._engine.connect() as connection:
            return [_run(row) for row in connection.execute(statement)]

    def fail_running_scenarios(self, reason: str) -> int:
        """Mark runs left 'running' by a stopped process as failed (at start-up)."""
        statement = (
            update(SCENARIO_RUNS)
            .where(SCENARIO_RUNS.c.status == RunStatus.RUNNING.value)
            .values(status=RunStatus.FAILED.value, error=reason)
        )
        with self._write() as connection:
            return int(connection.execute(statement).rowcount)
