"""What-if runs over HTTP: list, one run with its result, compare two, run a file, look ahead."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, ValidationError

from cctwin.api.deps import NOT_FOUND, ServicesDep, require
from cctwin.app import Services
from cctwin.errors import CctwinError
from cctwin.ngsi.problems import NgsiError
from cctwin.scenarios.crowd.lookahead import LookaheadRequest, run_lookahead
from cctwin.scenarios.live import LookaheadForecast, latest_forecasts
from cctwin.scenarios.models import load_scenario
from cctwin.scenarios.records import ScenarioRun
from cctwin.scenarios.runs import compare, execute, pending_run, read_detail
from cctwin.scenarios.sim_entities import publish_simulated
from cctwin.security.roles import Permission

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])
VIEW = [require(Permission.VIEW_STATISTICS)]
# Operators may run what-ifs: the same people who handle alerts.
RUN = [require(Permission.HANDLE_ALERTS)]
BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {"description": "A scenario that cannot run (the detail names the line and reason)."}
}
_running: set[asyncio.Task[None]] = set()


class RunRequest(BaseModel):
    """Run a scenario file of the configured folder (by file name)."""

    file: str = Field(
        min_length=6,
        max_length=255,
        pattern=r"^[^/\\\x00]+\.yaml$",
        description="A file name of the scenario folder (GET /api/scenarios/files), e.g. `rush.yaml`.",
    )


def _run_or_404(services: Services, run_id: str) -> ScenarioRun:
    run = services.store.scenario_run(run_id)
    if run is None:
        raise HTTPException(404, f"no scenario run {run_id!r}")
    return run


@router.get("/files", dependencies=VIEW)
async def list_files(services: ServicesDep) -> list[dict[str, str]]:
    """The scenario files the dashboard can run."""
    folder = Path(services.config.scenarios.folder)
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    found = []
    for path in files:
        try:
            scenario = await asyncio.to_thread(load_scenario, path)
        except CctwinError:
            continue  # a broken file is reported when someone runs it
        found.append({"file": path.name, "kind": scenario.kind, "name": scenario.name})
    return found


@router.get("/runs", dependencies=VIEW)
async def list_runs(
    services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ScenarioRun]:
    """Stored runs, newest first."""
    return await asyncio.to_thread(services.store.scenario_runs, limit)


@router.get("/runs/{run_id}", dependencies=VIEW, responses=NOT_FOUND)
async def get_run(services: ServicesDep, run_id: str) -> dict[str, Any]:
    """One run with its result: density per zone over time and the animation frames."""
    run = await asyncio.to_thread(_run_or_404, services, run_id)
    detail = await asyncio.to_thread(read_detail, Path(services.config.media.path), run)
    return {**run.model_dump(mode="json"), "result": detail}


@router.get("/compare", dependencies=VIEW, responses=NOT_FOUND)
async def compare_runs(services: ServicesDep, a: str, b: str) -> dict[str, object]:
    """Two runs' summaries side by side, with the change of every number."""
    first = await asyncio.to_thread(_run_or_404, services, a)
    second = await asyncio.to_thread(_run_or_404, services, b)
    return compare(first, second)


@router.post("/runs", dependencies=RUN, status_code=202, responses={**BAD_REQUEST, **NOT_FOUND})
async def start_run(services: ServicesDep, request: RunRequest) -> dict[str, str]:
    """Run a file of the scenario folder in the background; poll GET /runs/{id}."""
    folder = Path(services.config.scenarios.folder).resolve()
    path = (folder / request.file).resolve()
    if path.parent != folder or path.suffix != ".yaml" or not path.is_file():
        raise HTTPException(404, f"no scenario file {request.file!r} in {folder}")
    try:
        scenario = await asyncio.to_thread(load_scenario, path)
    except CctwinError as exc:
        raise HTTPException(400, str(exc)) from None
    if sum(not t.done() for t in _running) >= services.config.scenarios.max_parallel:
        raise HTTPException(429, "a what-if is already running; try again when it is done")
    run_id = uuid.uuid4().hex[:16]
    text = path.read_text(encoding="utf-8")
    # Stored before the answer, so the id the caller gets can be polled at once.
    await asyncio.to_thread(services.store.save_scenario_run, pending_run(scenario, run_id))

    async def work() -> None:
        try:
            outcome = await asyncio.to_thread(
                execute, scenario, (path.name, text), services.config, services.store, None, run_id
            )
            tenant = services.ngsi_tenants.get(services.config.scenarios.tenant, create=True)
            await asyncio.to_thread(publish_simulated, tenant, outcome.run)
        except Exception as exc:  # stored as a failed run; the log keeps the why
            log.warning("scenario run %s (%s) failed: %s", run_id, path.name, exc)

    task = asyncio.create_task(work())
    _running.add(task)
    task.add_done_callback(_running.discard)
    return {"run_id": run_id, "status": "running"}


@router.get("/lookahead/latest", dependencies=VIEW)
async def latest_lookaheads(services: ServicesDep) -> list[LookaheadForecast]:
    """The newest periodic look-ahead of each hot spot (from the stored runs)."""
    runs = await asyncio.to_thread(services.store.scenario_runs, 200, "crowd")
    return latest_forecasts(runs)


@router.post("/lookahead", dependencies=RUN, responses=BAD_REQUEST)
async def lookahead(services: ServicesDep, body: dict[str, Any]) -> dict[str, Any]:
    """Simulate the next minutes of a hot spot from the twin's density now (on demand)."""
    try:
        request = LookaheadRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise HTTPException(400, f"{where}: {first['msg']}") from None
    entities = await asyncio.to_thread(_entities, services, request.entity_id)
    try:
        scenario, result = await asyncio.to_thread(
            run_lookahead, request, services.config, entities
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except (CctwinError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    return {"scenario": scenario.model_dump(mode="json"), "result": result.model_dump(mode="json")}


def _entities(services: Services, entity_id: str | None) -> dict[str, dict[str, Any]]:
    """The one live entity the look-ahead reads its density from (expanded attributes)."""
    if entity_id is None:
        return {}
    try:
        entity = services.ngsi.broker.retrieve(entity_id)
    except NgsiError:
        return {}
    return {entity_id: dict(entity.attrs)}
