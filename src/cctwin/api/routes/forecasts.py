"""Zone forecasts with their bands and baseline, and the forecast ledger's running score."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from cctwin.api.deps import PrincipalDep, ServicesDep, require
from cctwin.forecast.ledger import LatestForecast, RunningScore
from cctwin.security.roles import Permission

# Reading forecasts needs the same right as reading the observations they come from.
router = APIRouter(
    prefix="/api", tags=["forecasts"], dependencies=[require(Permission.VIEW_STATISTICS)]
)


def _visible(services: ServicesDep, principal: PrincipalDep) -> set[str]:
    return {c.id for c in services.config.cameras if principal.sees(c.id)}


@router.get("/forecasts", response_model=list[LatestForecast])
async def latest_forecasts(services: ServicesDep, principal: PrincipalDep) -> list[LatestForecast]:
    """Each zone's newest forecasts (5..60 min ahead): value, band, seasonal-naive baseline."""
    cameras = _visible(services, principal)
    return await asyncio.to_thread(services.store.latest_forecasts, cameras)


@router.get("/forecasts/ledger", response_model=list[RunningScore])
async def forecast_ledger(services: ServicesDep, principal: PrincipalDep) -> list[RunningScore]:
    """The running score per zone and quantity, then overall (the row without a camera)."""
    cameras = _visible(services, principal)
    return await asyncio.to_thread(services.store.ledger_scores, cameras)
