"""Camera planning over HTTP: coverage and blind spots (cached), and K new cameras (bounded)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from cctwin.api.deps import CONFLICT, NOT_FOUND, ServicesDep, require
from cctwin.security.roles import Permission

if TYPE_CHECKING:
    from cctwin.app import Services
    from cctwin.planning.plan import PlanReport

router = APIRouter(prefix="/api/planning", tags=["planning"])

# One coverage report per configuration and camera states: blind spots of a district cost
# about a second, and the map asks each time the layer is shown.
_coverage_cache: dict[str, dict[str, Any]] = {}
# The planner shares the service's CPUs with the live analysis: one plan at a time, bounded.
_plan_lock = asyncio.Lock()
MAX_PLAN_TIME_S = 60.0
REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"description": "The plan cannot be made (the detail says why)."}
}


class PlanRequest(BaseModel):
    """How many cameras to add, from which candidates, and the solver's time limit."""

    add: int = Field(ge=1, le=500)
    candidates: str = Field("auto", pattern="^(auto|osm|roads)$")
    time_limit_s: float = Field(20.0, gt=0, le=MAX_PLAN_TIME_S)


def _states(services: Services) -> dict[str, str]:
    return {k: v.state.value for k, v in services.live.statuses.items()}


def _key(services: Services, states: dict[str, str]) -> str:
    config = services.config
    parts = [
        config.site.model_dump(mode="json"),
        config.planning.model_dump(mode="json"),
        [c.model_dump(mode="json", include={"id", "placement", "enabled"}) for c in config.cameras],
        # Only whether a camera counts: online and reconnecting cameras both do.
        sorted(k for k, v in states.items() if v == "offline"),
    ]
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@router.get("/coverage", responses=NOT_FOUND, dependencies=[require(Permission.VIEW_TWIN)])
async def coverage(services: ServicesDep) -> dict[str, Any]:
    """Weighted covered share, per class, the blind spots (GeoJSON) and each camera's part.

    Recomputed when the cameras, the site or which cameras are offline change.
    """
    from cctwin.planning.coverage import measure

    states = _states(services)
    key = _key(services, states)
    if key not in _coverage_cache:
        try:
            measured = await asyncio.to_thread(measure, services.config, states)
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
        _coverage_cache.clear()
        _coverage_cache[key] = measured.report.model_dump(mode="json")
    return _coverage_cache[key]


@router.post(
    "/plan",
    responses={**NOT_FOUND, **REFUSED, **CONFLICT},
    dependencies=[require(Permission.PLAN_CAMERAS)],
)
async def plan(request: PlanRequest, services: ServicesDep) -> dict[str, Any]:
    """K new cameras (MILP, HiGHS, beside greedy): before/after, cameras with footprints, gap.

    400 when K exceeds the candidate positions or no lamp/pole exists for `osm`; 409 while
    another plan runs.
    """
    from cctwin.planning.candidates import PlacementError

    if _plan_lock.locked():
        raise HTTPException(409, "another plan is running; try again when it is done")
    async with _plan_lock:
        try:
            report = await asyncio.to_thread(_plan, services, request, _states(services))
        except PlacementError as exc:
            raise HTTPException(400, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
    return report.model_dump(mode="json")


def _plan(services: Services, request: PlanRequest, states: dict[str, str]) -> PlanReport:
    """The plan, with the stored events per camera for the upgrade ranking (in a thread)."""
    from cctwin.planning.plan import plan_cameras
    from cctwin.store.rows import EventFilter

    events = {
        c.id: services.store.count_events(EventFilter(camera_ids=(c.id,)))
        for c in services.config.cameras
    }
    source: Literal["auto", "osm", "roads"] = request.candidates  # type: ignore[assignment]
    return plan_cameras(services.config, request.add, source, request.time_limit_s, states, events)
