"""A stored what-if run: its scenario, the software versions, the summary and the detail file."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScenarioRun(BaseModel):
    """One row of the run history (the detail, frames and series, is a file under media/)."""

    id: str
    kind: str
    name: str
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None = None
    scenario: dict[str, object]
    versions: dict[str, str]
    summary: dict[str, object] = {}
    detail_path: str | None = None
    error: str | None = None
