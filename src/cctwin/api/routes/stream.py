"""Server-sent events: new events, alerts, camera status and observations as they happen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from cctwin.api.deps import PrincipalDep, ServicesDep, ZoneScopesDep, require
from cctwin.api.schemas import camera_read
from cctwin.app import Services
from cctwin.messages import (
    AlertChanged,
    BusMessage,
    CameraStatus,
    Event,
    ObjectPositions,
    Observation,
)
from cctwin.security.roles import Permission, Principal
from cctwin.security.zone_scope import ZoneScopes

router = APIRouter(tags=["stream"])
HEARTBEAT_S = 15.0


def sse_frame(message: BusMessage, services: Services) -> str:
    """One message in text/event-stream framing, or '' for nothing to send.

    The data is the wire model's JSON (an alert's is its AlertView; a camera's is the same
    shape as `GET /api/cameras/{id}`), so SSE, REST and the bus agree field for field.
    """
    if isinstance(message, Event):
        name, data = "event", message.model_dump_json()
    elif isinstance(message, AlertChanged):
        name, data = "alert", message.alert.model_dump_json()
    elif isinstance(message, CameraStatus):
        camera = next((c for c in services.config.cameras if c.id == message.camera_id), None)
        if camera is None:
            return ""
        name, data = "camera", camera_read(camera, message).model_dump_json()
    elif isinstance(message, Observation):
        name, data = "observation", message.model_dump_json()
    elif isinstance(message, ObjectPositions):
        name, data = "positions", message.model_dump_json()
    else:
        return ""
    return f"event: {name}\ndata: {data}\n\n"


def _camera_of(message: BusMessage) -> str | None:
    if isinstance(message, AlertChanged):
        return message.alert.camera_id
    if isinstance(message, Event | CameraStatus | Observation | ObjectPositions):
        return message.camera_id
    return None


def visible(message: BusMessage, principal: Principal, scopes: ZoneScopes | None = None) -> bool:
    """Whether the caller's camera and zone scopes cover the message (and planners get no
    alerts). With `scopes`, a rule drawn on a zone in scope (a crowd rule) counts as it."""
    if isinstance(message, AlertChanged) and not principal.can(Permission.VIEW_ALERTS):
        return False
    if isinstance(message, Event) and not principal.can(Permission.VIEW_EVENTS):
        return False
    camera = _camera_of(message)
    if camera is not None and not principal.sees(camera):
        return False
    if isinstance(message, Event):
        return principal.sees_zone(message.zone_id)
    if isinstance(message, AlertChanged):
        return principal.sees_zone(message.alert.zone_id)
    if isinstance(message, Observation):  # an observation's rule is its zone, or sits on one
        if scopes is not None:
            return scopes.covers(principal, message.camera_id, message.rule_id)
        return principal.sees_zone(message.rule_id)
    return True


def scoped_message(message: BusMessage, principal: Principal, scopes: ZoneScopes) -> BusMessage:
    """The message as the caller may see it: positions only of objects in its zones."""
    if isinstance(message, ObjectPositions):
        return scopes.positions(principal, message)
    return message


@router.get("/api/stream", dependencies=[require(Permission.VIEW_STREAM)])
async def stream(
    request: Request, services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> StreamingResponse:
    async def frames() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        client = services.live.connect()
        try:
            while not services.stopping:
                try:
                    message = await asyncio.wait_for(client.queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if message is None:
                    return  # the service is shutting down
                frame = ""
                if visible(message, principal, scopes):
                    frame = sse_frame(scoped_message(message, principal, scopes), services)
                if frame:
                    yield frame
        finally:
            services.live.disconnect(client)

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
