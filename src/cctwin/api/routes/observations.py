"""Latest measurements (occupancy, counts, crowd density, water) and FloodMonitoring entities."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException

from cctwin.analytics.flood.monitor import FloodReading, Status, to_flood_monitoring
from cctwin.api.deps import (
    NOT_FOUND,
    PrincipalDep,
    ServicesDep,
    ZoneScopesDep,
    check_camera,
    require,
)
from cctwin.api.schemas import ObservationRead
from cctwin.config import CameraConfig, FloodConfig
from cctwin.security.roles import Permission
from cctwin.types import Observation, ObservationKind

router = APIRouter(
    prefix="/api", tags=["observations"], dependencies=[require(Permission.VIEW_STATISTICS)]
)


@router.get("/observations", response_model=list[ObservationRead], responses=NOT_FOUND)
async def latest_observations(
    services: ServicesDep,
    principal: PrincipalDep,
    scopes: ZoneScopesDep,
    camera_id: str | None = None,
) -> list[ObservationRead]:
    """The newest value of each (camera, rule, kind); `camera_id` narrows it to one camera."""
    if camera_id is not None and camera_id not in services.live.statuses:
        raise HTTPException(404, f"no camera {camera_id!r}")
    if camera_id is not None:
        check_camera(principal, camera_id)
    latest = await asyncio.to_thread(services.store.latest_observations, camera_id)
    return [
        o
        for o in latest
        if principal.sees(o.camera_id) and scopes.covers(principal, o.camera_id, o.rule_id)
    ]


@router.get("/flood-monitoring")
async def flood_monitoring(services: ServicesDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """One Smart Data Models `FloodMonitoring` entity per flood ROI that has been measured."""
    latest = await asyncio.to_thread(services.store.latest_observations, None)
    entities = []
    for camera in services.config.cameras:
        if not principal.sees(camera.id):
            continue
        for rule in camera.analytics.flood:
            if not principal.sees_zone(rule.id):
                continue
            entity = _entity(camera, rule, latest)
            if entity is not None:
                entities.append(entity)
    return entities


def _entity(
    camera: CameraConfig, rule: FloodConfig, latest: list[Observation]
) -> dict[str, Any] | None:
    mine = {o.kind: o for o in latest if o.camera_id == camera.id and o.rule_id == rule.id}
    coverage = mine.get(ObservationKind.FLOOD_COVERAGE)
    if coverage is None:
        return None
    level = mine.get(ObservationKind.FLOOD_LEVEL)
    reading = FloodReading(
        at=coverage.observed_at,
        covered_fraction=coverage.value,
        current_level_cm=None if level is None else level.value,
        status=_status(coverage.level),
        alert_level_cm=rule.alert_level_cm,
        danger_level_cm=rule.danger_level_cm,
    )
    entity = to_flood_monitoring(reading, f"urn:ngsi-ld:FloodMonitoring:{camera.id}:{rule.id}")
    entity["name"] = rule.name or rule.id
    entity["refDevice"] = f"urn:ngsi-ld:Device:{camera.id}"
    if camera.placement is not None:
        entity["location"] = {
            "type": "Point",
            "coordinates": [camera.placement.lon, camera.placement.lat],
        }
    return entity


def _status(level: str | None) -> Status:
    # Stored statuses come from FloodMonitor; anything else (an old row) reads as normal.
    if level == "danger":
        return "danger"
    return "alert" if level == "alert" else "normal"
