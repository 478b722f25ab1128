"""Run a scenario of either kind and keep it: inputs, versions, summary row and detail file."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from cctwin.config import Config
from cctwin.scenarios.crowd.simulate import PlaceError
from cctwin.scenarios.flood import FloodScenario, run_flood
from cctwin.scenarios.models import CrowdScenario, ScenarioError, where
from cctwin.scenarios.records import RunStatus, ScenarioRun

# Result detail files live under the media folder, one gzip JSON per run.
DETAIL_FOLDER = "scenarios"
_PACKAGES = ("cctwin", "jupedsim", "pedpy", "pyswmm")


class ScenarioRunStore(Protocol):
    """Where runs are kept (the SQL store's scenario_runs table)."""

    def save_scenario_run(self, run: ScenarioRun) -> None: ...

    def scenario_run(self, run_id: str) -> ScenarioRun | None: ...

    def scenario_runs(self, limit: int = 50, kind: str | None = None) -> list[ScenarioRun]: ...


class Outcome(BaseModel):
    """A finished run: its stored row and the result's summary (the `--json` keys)."""

    run: ScenarioRun
    summary: dict[str, object]


def versions() -> dict[str, str]:
    """Installed versions of the software a result depends on ('-' when absent)."""
    found = {}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    return found


def detail_path(media_root: Path, run_id: str) -> Path:
    return media_root / DETAIL_FOLDER / f"{run_id}.json.gz"


def read_detail(media_root: Path, run: ScenarioRun) -> dict[str, object] | None:
    """The stored result detail of a run (series, frames), or None when there is none."""
    if run.detail_path is None:
        return None
    path = media_root / run.detail_path
    if not path.is_file():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        detail: dict[str, object] = json.load(handle)
    return detail


def _simulate(
    scenario: CrowdScenario | FloodScenario,
    source: tuple[str, str],
    config: Config,
    progress: Callable[[float], None] | None,
) -> tuple[dict[str, object], dict[str, object]]:
    """(detail, summary) of the scenario; ScenarioError naming the file line when misplaced."""
    if isinstance(scenario, FloodScenario):
        flood = run_flood(scenario, config, progress)
        return flood.model_dump(mode="json"), flood.summary()
    from cctwin.scenarios.crowd.run import run_crowd

    try:
        crowd = run_crowd(scenario, config, progress)
    except PlaceError as exc:
        name, text = source
        raise ScenarioError(f"{where(name, text, exc.location)}: {exc.reason}") from None
    return crowd.model_dump(mode="json"), crowd.summary()


def pending_run(scenario: CrowdScenario | FloodScenario, run_id: str | None = None) -> ScenarioRun:
    """The 'running' row of a run about to start."""
    return ScenarioRun(
        id=run_id or uuid.uuid4().hex[:16],
        kind=scenario.kind,
        name=scenario.name,
        status=RunStatus.RUNNING,
        created_at=datetime.now(UTC),
        scenario=scenario.model_dump(mode="json"),
        versions=versions(),
    )


def execute(
    scenario: CrowdScenario | FloodScenario,
    source: tuple[str, str],
    config: Config,
    store: ScenarioRunStore,
    progress: Callable[[float], None] | None = None,
    run_id: str | None = None,
) -> Outcome:
    """Run `scenario` (`source` = file name and text, for error lines) and store it.

    The row is written 'running' first, so a crash leaves a trace; then 'done' with the
    summary and the detail file, or 'failed' with the error (which is raised again).
    """
    run = pending_run(scenario, run_id)
    store.save_scenario_run(run)
    try:
        detail, summary = _simulate(scenario, source, config, progress)
    except Exception as exc:
        failed = run.model_copy(
            update={"status": RunStatus.FAILED, "finished_at": datetime.now(UTC), "error": str(exc)}
        )
        store.save_scenario_run(failed)
        raise
    media_root = Path(config.media.path)
    path = detail_path(media_root, run.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(detail, handle, ensure_ascii=False, separators=(",", ":"))
    done = run.model_copy(
        update={
            "status": RunStatus.DONE,
            "finished_at": datetime.now(UTC),
            "summary": summary,
            "detail_path": path.relative_to(media_root).as_posix(),
        }
    )
    store.save_scenario_run(done)
    return Outcome(run=done, summary=summary)


def compare(a: ScenarioRun, b: ScenarioRun) -> dict[str, object]:
    """Two runs side by side: every numeric summary key with both values and the change."""
    rows: dict[str, object] = {}
    for key in sorted(set(a.summary) | set(b.summary)):
        left, right = a.summary.get(key), b.summary.get(key)
        if isinstance(left, int | float) and isinstance(right, int | float):
            rows[key] = {"a": left, "b": right, "change": round(float(right) - float(left), 3)}
    zones_a, zones_b = a.summary.get("zones"), b.summary.get("zones")
    if isinstance(zones_a, dict) and isinstance(zones_b, dict):
        rows["zones"] = {
            zone: {"a": zones_a.get(zone), "b": zones_b.get(zone)}
            for zone in sorted(set(zones_a) | set(zones_b))
        }
    return {"a": a.id, "b": b.id, "names": [a.name, b.name], "summary": rows}
