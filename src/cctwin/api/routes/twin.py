"""Replay of the twin: its state at a moment, and a zone's history for charts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from cctwin.api.deps import (
    BAD_INPUT,
    RFC3339,
    PrincipalDep,
    QueryTime,
    ServicesDep,
    ZoneScopesDep,
    check_camera,
    check_rule,
    require,
)
from cctwin.security.roles import Permission, Principal
from cctwin.security.zone_scope import ZoneScopes
from cctwin.twin.replay import ZONE_ATTRS, TwinAt, twin_at, zone_series

# Zone values over time are statistics (a planner's and a researcher's view); the parts of a
# moment that need more (events, alerts, camera states) are left out without their right.
router = APIRouter(
    prefix="/api/twin", tags=["twin"], dependencies=[require(Permission.VIEW_STATISTICS)]
)
MAX_POINTS = 50_000
_ZONE_PREFIXES = ("urn:ngsi-ld:CrowdFlowObserved:", "urn:ngsi-ld:FloodMonitoring:")


def _aware(value: datetime | None, name: str, default: datetime) -> datetime:
    if value is None:
        return default
    if value.tzinfo is None:
        raise HTTPException(422, f"{name} needs a timezone, e.g. 2026-11-25T09:00:00+09:00")
    return value.astimezone(UTC)


@router.get("/at", responses=BAD_INPUT)
async def state_at(
    services: ServicesDep,
    principal: PrincipalDep,
    scopes: ZoneScopesDep,
    time: QueryTime = None,
    window_s: Annotated[float, Query(gt=0, le=3600)] = 60.0,
) -> Response:
    """The twin at `time` (default now): every zone's values, camera states, alerts open then,
    and events within `window_s` either side with their snapshot and clip URLs."""
    at = _aware(time, "time", datetime.now(UTC))
    terms = services.ngsi.contexts.terms(None)
    state = await asyncio.to_thread(
        twin_at,
        services.ngsi_store,
        services.store,
        at,
        services.config.ngsi_ld.replay_lookback_s,
        window_s,
        principal.sees,
        terms.expand,
        terms.compact,
    )
    state = _as_seen_by(state, principal, scopes)
    return Response(state.model_dump_json(), media_type="application/json")


def _as_seen_by(state: TwinAt, principal: Principal, scopes: ZoneScopes) -> TwinAt:
    """The state as the caller may see it: events, alerts and camera states only with the
    right to each (a planner replays zone values and cameras, a researcher zone values and
    events), and of a zone-scoped caller only its zones' records."""
    withheld = {
        "events": Permission.VIEW_EVENTS,
        "alerts": Permission.VIEW_ALERTS,
        "cameras": Permission.VIEW_TWIN,
    }
    empty: dict[str, list[object]] = {
        part: [] for part, right in withheld.items() if not principal.can(right)
    }
    if empty:
        state = state.model_copy(update=empty)
    if principal.zones is None:
        return state
    return state.model_copy(
        update={
            "zones": [z for z in state.zones if scopes.covers(principal, z.camera_id, z.zone_id)],
            "alerts": [a for a in state.alerts if principal.sees_zone(a.zone_id)],
            "events": [e for e in state.events if principal.sees_zone(e.zone_id)],
        }
    )


@router.get("/history", responses=BAD_INPUT)
async def history(
    services: ServicesDep,
    principal: PrincipalDep,
    scopes: ZoneScopesDep,
    zone: Annotated[
        str,
        Query(
            max_length=512,
            pattern=r"^[^:]+:.+$",
            description="`camera:zone`, or a CrowdFlowObserved or FloodMonitoring entity id.",
        ),
    ],
    attr: str = "density",
    start: Annotated[datetime | None, RFC3339, Query(alias="from")] = None,
    end: Annotated[datetime | None, RFC3339, Query(alias="to")] = None,
    step: Annotated[float, Query(gt=0, le=86400, description="Seconds per point.")] = 60.0,
) -> Response:
    """A zone's attribute (`zone`: the CrowdFlowObserved or FloodMonitoring entity id, or
    `camera:zone` for a crowd zone) per `step` seconds: mean, max and last."""
    entity_id = zone if zone.startswith(_ZONE_PREFIXES) else f"{_ZONE_PREFIXES[0]}{zone}"
    parts = entity_id.split(":")
    if len(parts) < 5:
        raise HTTPException(422, f"zone {zone!r} is not camera:zone or a zone entity id")
    check_camera(principal, parts[3])
    check_rule(principal, scopes, parts[3], ":".join(parts[4:]))
    if attr not in ZONE_ATTRS:
        raise HTTPException(422, f"unknown attr {attr!r}; use one of {list(ZONE_ATTRS)}")
    until = _aware(end, "to", datetime.now(UTC))
    since = _aware(start, "from", until - timedelta(hours=1))
    if since >= until:
        raise HTTPException(422, "from must be before to")
    if (until - since).total_seconds() / step > MAX_POINTS:
        raise HTTPException(422, f"more than {MAX_POINTS} points; choose a larger step")
    expand = services.ngsi.contexts.terms(None).expand
    series = await asyncio.to_thread(
        zone_series, services.ngsi_store, entity_id, attr, since, until, step, expand
    )
    return Response(series.model_dump_json(), media_type="application/json")
