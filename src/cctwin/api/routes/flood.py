"""Flood what-ifs on the map: the generated drainage network of the configured site."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from cctwin.api.deps import NOT_FOUND, ServicesDep, require
from cctwin.security.roles import Permission

router = APIRouter(
    prefix="/api/flood", tags=["flood"], dependencies=[require(Permission.VIEW_TWIN)]
)


@router.get("/network", responses=NOT_FOUND)
async def network(
    services: ServicesDep,
    design_intensity_mm_h: float = Query(
        95.0, gt=0, le=500, description="Rain the pipes are sized for."
    ),
) -> dict[str, Any]:
    """The sample drainage network (inlets, outfalls, pipes) generated from the site's streets."""
    from cctwin.scenarios.flood import network_for
    from cctwin.scenarios.flood.scenario import FloodNetworkOptions

    options = FloodNetworkOptions(design_intensity_mm_h=design_intensity_mm_h)
    try:
        built = await asyncio.to_thread(network_for, services.config, options)
    except ValueError as exc:
        raise HTTPException(404, f"no drainage network: {exc}") from None
    collection = built.geojson()
    collection["sample"] = "generated from the site's streets, not a survey (docs/flood.md)"
    return collection
