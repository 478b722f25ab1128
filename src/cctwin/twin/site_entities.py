"""The site model in the twin: Building entities and each camera zone's visible walkable area."""

from __future__ import annotations

import re
from typing import Any

import shapely  # type: ignore[import-untyped]
from shapely.geometry import mapping  # type: ignore[import-untyped]

from cctwin.twin.district import DistrictMap
from cctwin.twin.osm import SiteFeature
from cctwin.twin.zones_map import image_to_ground

Body = dict[str, Any]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def building_id(feature: SiteFeature) -> str:
    return f"urn:ngsi-ld:Building:{_UNSAFE.sub('-', feature.osm_id)}"


def _levels(feature: SiteFeature) -> int | None:
    try:
        levels = round(float(feature.tags.get("building:levels", "")))
    except ValueError:
        return None
    return levels if levels > 0 else None


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 7)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def building_body(feature: SiteFeature) -> Body:
    """A Smart Data Models Building (core @context names): footprint, height, floors."""
    shape = mapping(feature.geometry)
    body: Body = {
        "id": building_id(feature),
        "type": "Building",
        "location": {
            "type": "GeoProperty",
            "value": {"type": shape["type"], "coordinates": _rounded(shape["coordinates"])},
        },
        "category": {"type": "Property", "value": [feature.tags.get("building", "yes")]},
        "source": {"type": "Property", "value": f"https://www.openstreetmap.org/{feature.osm_id}"},
    }
    if feature.name:
        body["name"] = {"type": "Property", "value": feature.name}
    if feature.height_m is not None:
        body["height"] = {
            "type": "Property",
            "value": round(feature.height_m, 2),
            "unitCode": "MTR",
        }
    levels = _levels(feature)
    if levels is not None:
        body["floorsAboveGround"] = {"type": "Property", "value": levels}
    return body


def building_bodies(district: DistrictMap) -> list[Body]:
    return [building_body(f) for f in district.model.layer("buildings")]


def visible_walkable_areas(
    district: DistrictMap, zones: dict[str, list[tuple[str, list[tuple[float, float]]]]]
) -> dict[tuple[str, str], float]:
    """(camera, zone) -> m2 of the zone's ground inside the camera's occluded footprint and
    outside buildings: what a count of that zone is spread over (persons / m2).

    `zones` maps a camera id to its image zones (id, normalised polygon).
    """
    outlines = [b.outline for b in district.geometry.buildings]
    solid = shapely.union_all(outlines) if outlines else None
    areas: dict[tuple[str, str], float] = {}
    for footprint in district.footprints:
        camera_id = footprint.view.camera_id
        for zone_id, polygon in zones.get(camera_id, []):
            ground = image_to_ground(district.geometry, footprint.view, polygon)
            ground = ground.intersection(footprint.ground)
            if solid is not None and not ground.is_empty:
                ground = ground.difference(solid)
            if ground.area > 0:
                areas[(camera_id, zone_id)] = float(ground.area)
    return areas
