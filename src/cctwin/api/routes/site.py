"""The twin's map: the district, extra layers and the cameras with their fields of view."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException

from cctwin.api.deps import NOT_FOUND, PrincipalDep, ServicesDep, require
from cctwin.security.roles import Permission

if TYPE_CHECKING:
    from cctwin.config import Config
    from cctwin.twin.district import DistrictMap

router = APIRouter(prefix="/api", tags=["site"], dependencies=[require(Permission.VIEW_TWIN)])
GEOJSON = "application/geo+json"


@router.get("/site", responses=NOT_FOUND)
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
        "model": await _model_summary(services.config),
        "attribution": ATTRIBUTION if site.osm is not None else None,
        "basemap": site.basemap.model_dump(mode="json"),
    }


# "© OpenStreetMap contributors (ODbL)" whenever the site model comes from OSM.
ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

# One district map per configuration of the cameras and site (footprints cost ~10 ms each).
_district_cache: dict[str, DistrictMap] = {}


def _district_key(config: Config) -> str:
    parts = [config.site.model_dump(mode="json")]
    parts += [
        c.model_dump(mode="json", include={"id", "placement", "analytics"}) for c in config.cameras
    ]
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


async def _district(config: Config) -> DistrictMap:
    from cctwin.twin.district import build_district_map

    key = _district_key(config)
    if key not in _district_cache:
        try:
            built = await asyncio.to_thread(build_district_map, config)
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
        _district_cache.clear()
        _district_cache[key] = built
    return _district_cache[key]


async def _model_summary(config: Config) -> dict[str, Any]:
    """Feature counts per site-model layer ({} without a site model; errors show on layers)."""
    if config.site.osm is None and not any(x.kind for x in config.site.layers):
        return {}
    try:
        district = await _district(config)
    except HTTPException:
        return {}
    return {"counts": district.model.counts(), "skipped": len(district.model.skipped)}


@router.get("/site/district.geojson", responses=NOT_FOUND)
async def district(services: ServicesDep) -> dict[str, Any]:
    from cctwin.twin.site import district_geojson

    if services.config.site.district is None:
        return {"type": "FeatureCollection", "features": []}
    try:
        collection: dict[str, Any] = await asyncio.to_thread(district_geojson, services.config.site)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    return collection


@router.get("/site/layers/{layer_id}.geojson", responses=NOT_FOUND)
async def layer(layer_id: str, services: ServicesDep) -> dict[str, Any]:
    from cctwin.twin.site import layers_geojson

    for configured in services.config.site.layers:
        if configured.id == layer_id:
            try:
                collection: dict[str, Any] = await asyncio.to_thread(layers_geojson, configured)
            except ValueError as exc:
                raise HTTPException(404, str(exc)) from None
            return collection
    from cctwin.twin.osm import LAYER_KINDS

    for kind in LAYER_KINDS:
        if kind == layer_id:
            district = await _district(services.config)
            return district.model.geojson(kind)
    raise HTTPException(404, f"no layer {layer_id!r}")


@router.get("/site/footprints.geojson")
async def footprints_geojson(services: ServicesDep) -> dict[str, Any]:
    """Each placed camera's ground footprint, clipped by buildings, and its zones on the ground."""
    from cctwin.twin.zones_map import footprints_geojson as build

    district = await _district(services.config)
    states = {k: v.state.value for k, v in services.live.statuses.items()}
    return build(district.geometry, district.footprints, services.config.cameras, states)


@router.get("/site/zones.geojson")
async def zones_geojson(services: ServicesDep) -> dict[str, Any]:
    """Map zones with their visible share per camera; `warning` names a zone no camera sees."""
    from cctwin.twin.zones_map import zones_geojson as build

    district = await _district(services.config)
    return build(district.geometry, district.zones, services.config.site.zones)


@router.get("/cameras.geojson")
async def cameras_geojson(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    from cctwin.twin.site import cameras_geojson as build

    states = {k: v.state.value for k, v in services.live.statuses.items()}
    collection: dict[str, Any] = build(
        [c for c in services.config.cameras if principal.sees(c.id)], states
    )
    return collection
