"""Server-sent events: new events, alerts, camera status and observations as they happen."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import suppress

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from cctwin.api.deps import ServicesDep
from cctwin.api.schemas import alert_read, camera_read, event_read
from cctwin.app import Services
from cctwin.bus.local import BusMessage
from cctwin.records import observation_record
from cctwin.types import Alert, CameraStatus, Event, Observation

router = APIRouter(tags=["stream"])
HEARTBEAT_S = 15.0


def sse_frame(message: BusMessage, services: Services) -> str:
    """One message in text/event-stream framing, or '' for nothing to send."""
    if isinstance(message, Event):
        name, data = "event", event_read(message).model_dump_json()
    elif isinstance(message, Alert):
        name, data = "alert", alert_read(message, services.titles(message)).model_dump_json()
    elif isinstance(message, CameraStatus):
        camera = next((c for c in services.config.cameras if c.id == message.camera_id), None)
        if camera is None:
            return ""
        name, data = "camera", camera_read(camera, message).model_dump_json()
    elif isinstance(message, Observation):
        name, data = "observation", json.dumps(observation_record(message))
    else:
        return ""
    return f"event: {name}\ndata: {data}\n\n"


@router.get("/api/stream")
async def stream(request: Request, services: ServicesDep) -> StreamingResponse:
    async def frames() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        subscription = services.bus.subscribe()
        pending: asyncio.Task[BusMessage] | None = None
        try:
            while not services.stopping:
                if pending is None:
                    pending = asyncio.ensure_future(anext(subscription))
                done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_S)
                if await request.is_disconnected():
                    return
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                try:
                    message = pending.result()
                except StopAsyncIteration:
                    return  # the bus closed: the service is shutting down
                pending = None
                frame = sse_frame(message, services)
                if frame:
                    yield frame
        finally:
            if pending is not None:
                pending.cancel()
            with suppress(Exception):
                await subscription.aclose()

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
