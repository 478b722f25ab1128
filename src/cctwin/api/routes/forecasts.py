"""Zone forecasts with their bands and baseline, and the forecast ledger's running score."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from cctwin.api.deps import PrincipalDep, ServicesDep, ZoneScopesDep, require
from cctwin.forecast.ledger import LatestForecast, RunningScore
from cctwin.security.roles import Permission

# Reading forecasts needs the same right as reading the observations they come from.
router = APIRouter(
    prefix="/api", tags=["forecasts"], dependencies=[require(Permission.VIEW_STATISTICS)]
)


def _visible(services: ServicesDep, principal: PrincipalDep) -> set[str]:
    return {c.id for c in services.config.cameras if principal.sees(c.id)}


@router.get("/forecasts", response_model=list[LatestForecast])
async def latest_forecasts(
    services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> list[LatestForecast]:
    """Each zone's newest forecasts (5..60 min ahead): value, band, seasonal-naive baseline."""
    cameras = _visible(services, principal)
    latest = await asyncio.to_thread(services.store.latest_forecasts, cameras)
    return [f for f in latest if scopes.covers(principal, f.camera_id, f.rule_id)]


@router.get("/forecasts/ledger", response_model=list[RunningScore])
async def forecast_ledger(
    services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> list[RunningScore]:
    """The running score per zone and quantity, then overall (the row without a camera); a
    zone-scoped caller gets its zones' rows only (the overall row pools other zones)."""
    cameras = _visible(services, principal)
    scores = await asyncio.to_thread(services.store.ledger_scores, cameras)
    if principal.zones is None:
        return scores
    return [
        s
        for s in scores
        if s.camera_id is not None and scopes.covers(principal, s.camera_id, s.rule_id)
    ]
