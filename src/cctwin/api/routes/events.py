"""Events: search by time, camera, zone and kind with cursor pagination; optional injection."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from cctwin.api.deps import (
    BAD_INPUT,
    NOT_FOUND,
    Cursor,
    PrincipalDep,
    QueryTime,
    ServicesDep,
    check_camera,
    check_zone,
    listed,
    require,
    scoped,
    scoped_zones,
)
from cctwin.api.posted_event import PostedEvent, as_event
from cctwin.api.schemas import EventPageRead
from cctwin.security.roles import Permission
from cctwin.store.sql import EventFilter
from cctwin.types import Event, EventKind

router = APIRouter(prefix="/api/events", tags=["events"])
STORE_TIMEOUT_S = 10.0


def _split(values: list[str] | None) -> tuple[str, ...]:
    """Accept both ?kind=a&kind=b and ?kind=a,b."""
    return tuple(v for value in values or [] for v in value.split(",") if v)


@router.get(
    "",
    response_model=None,
    responses={200: {"model": EventPageRead}, **BAD_INPUT},
    dependencies=[require(Permission.VIEW_EVENTS)],
)
async def list_events(
    services: ServicesDep,
    principal: PrincipalDep,
    # Lists without a null alternative: a query string has no null, and `anyOf [array, null]`
    # made schemathesis read `zone=true` as a boolean the document refuses.
    camera: Annotated[list[str], Query(default_factory=list)],
    zone: Annotated[list[str], Query(default_factory=list)],
    kind: Annotated[
        list[Annotated[str, listed(k.value for k in EventKind)]], Query(default_factory=list)
    ],
    since: QueryTime = None,
    until: QueryTime = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Cursor = None,
) -> Response:
    kinds = _split(kind)
    unknown = [k for k in kinds if k not in EventKind.__members__.values()]
    if unknown:
        raise HTTPException(
            422, f"unknown event kind {unknown[0]!r}; use one of {[k.value for k in EventKind]}"
        )
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a timezone, e.g. 2026-11-25T09:00:00+09:00")
    if since and until and since > until:
        raise HTTPException(422, "since is after until")
    query = EventFilter(
        since=since,
        until=until,
        camera_ids=scoped(principal, _split(camera)),
        zone_ids=scoped_zones(principal, _split(zone)),
        kinds=tuple(EventKind(k) for k in kinds),
    )
    try:
        page = await asyncio.to_thread(services.store.list_events, query, limit, cursor)
    except ValueError as exc:
        raise HTTPException(422, f"invalid cursor: {exc}") from None
    body = EventPageRead(items=page.items, next_cursor=page.next_cursor)
    # Serialised once here: the busiest endpoint skips FastAPI's second validation pass.
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/{event_id}",
    response_model=Event,
    dependencies=[require(Permission.VIEW_EVENTS)],
    responses=NOT_FOUND,
)
async def get_event(event_id: str, services: ServicesDep, principal: PrincipalDep) -> Event:
    event = await asyncio.to_thread(services.store.get_event, event_id)
    if event is None:
        raise HTTPException(404, f"no event {event_id!r}")
    check_camera(principal, event.camera_id)
    check_zone(principal, event.zone_id)
    return event


@router.post(
    "",
    response_model=Event,
    status_code=201,
    dependencies=[require(Permission.INJECT_EVENTS)],
    responses={
        **NOT_FOUND,
        503: {"description": "The store did not confirm the event in time; post it again."},
    },
)
async def create_event(
    posted: PostedEvent, services: ServicesDep, principal: PrincipalDep
) -> Event:
    """Publish an event as if a camera had produced it (integrations, drills, tests).

    The body is the Event wire model (`id` is derived when left out), one shape per `kind`:
    the document gives each kind's payload (`oneOf`, discriminated by `kind`). It travels on the bus
    like any camera's event; the answer (201) comes once the store has committed it, so an
    event reported as created survives a crash. The camera's current live frame, if there is
    one, becomes its snapshot.
    """
    event = as_event(posted)
    if not services.config.service.allow_event_injection:
        raise HTTPException(403, "event injection is disabled (service.allow_event_injection)")
    if event.camera_id not in services.live.statuses:
        raise HTTPException(404, f"no camera {event.camera_id!r}")
    check_camera(principal, event.camera_id)
    committed = services.writer.expect(event.id)
    await services.bus.publish(event)
    # The same event posted again is the same fact: the bus drops it as a duplicate, and the
    # answer is the one the first post got.
    if await asyncio.to_thread(services.store.get_event, event.id) is not None:
        services.writer.forget(event.id, committed)
    elif not await services.writer.stored(event.id, STORE_TIMEOUT_S, committed):
        raise HTTPException(503, f"the store did not confirm event {event.id} in time; retry")
    preview = services.live.previews.get(event.camera_id)
    if preview is not None:
        snapshot = await asyncio.to_thread(
            services.media.save_snapshot,
            event.camera_id,
            preview.jpeg,
            preview.captured_at,
            event.id,
        )
        await services.bus.publish(snapshot)
    return event
