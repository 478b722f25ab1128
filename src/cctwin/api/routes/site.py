"""The twin's map: the district, extra layers and the cameras with their fields of view."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException

from cctwin.api.deps import PrincipalDep, ServicesDep, require
from cctwin.security.roles import Permission

router = APIRouter(prefix="/api", tags=["site"], dependencies=[require(Permission.VIEW_TWIN)])
GEOJSON = "application/geo+json"


@router.get("/site")
async def get_site(services: ServicesDep) -> dict[str, Any]:
    from cctwin.twin.site import site_center

    site = services.config.site
    center = await asyncio.to_thread(site_center, site, services.config.cameras)
    return {
        "name": site.name,
        "center": list(center),
        "zoom": site.zoom,
        "language": services.config.service.language,
        "layers": [{"id": x.id, "name": x.name or x.id, "color": x.color} for x in site.layers],
    }


@router.get("/site/district.geojson")
async def district(services: ServicesDep) -> dict[str, Any]:
    from cctwin.twin.site import district_geojson

    if services.config.site.district is None:
        return {"type": "FeatureCollection", "features": []}
    try:
        collection: dict[str, Any] = await asyncio.to_thread(district_geojson, services.config.site)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    return collection


@router.get("/site/layers/{layer_id}.geojson")
async def layer(layer_id: str, services: ServicesDep) -> dict[str, Any]:
    from cctwin.twin.site import layers_geojson

    for configured in services.config.site.layers:
        if configured.id == layer_id:
            try:
                collection: dict[str, Any] = await asyncio.to_thread(layers_geojson, configured)
            except ValueError as exc:
                raise HTTPException(404, str(exc)) from None
            return collection
    raise HTTPException(404, f"no layer {layer_id!r}")


@router.get("/cameras.geojson")
async def cameras_geojson(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    from cctwin.twin.site import cameras_geojson as build

    states = {k: v.state.value for k, v in services.live.statuses.items()}
    collection: dict[str, Any] = build(
        [c for c in services.config.cameras if principal.sees(c.id)], states
    )
    return collection
