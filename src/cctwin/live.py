"""The live view of the control room: one bus subscriber fanned out to every browser.

It keeps what is true now (each camera's latest status and preview frame) and hands every
message to the connected SSE clients, each through its own bounded queue: a stalled browser
loses its oldest messages, never holds the service back. However many browsers are open,
the bus sees one subscription. A watchdog marks cameras whose worker went silent offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import EVERYTHING
from cctwin.config import Config
from cctwin.messages import BusMessage, CameraState, CameraStatus, LivePreview, ObjectPositions

log = logging.getLogger(__name__)

CLIENT_QUEUE = 1000


@dataclass(eq=False)
class LiveClient:
    """One browser's stream; `None` in its queue means the service is shutting down."""

    queue: asyncio.Queue[BusMessage | None] = field(default_factory=asyncio.Queue)
    dropped: int = 0

    def offer(self, message: BusMessage | None) -> None:
        if self.queue.qsize() >= CLIENT_QUEUE:
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)


class LiveHub:
    """Subscriber: camera statuses and previews as they are now, and the SSE fan-out."""

    def __init__(self, config: Config, bus: Bus, statuses: list[CameraStatus]) -> None:
        self.config = config
        self.bus = bus
        now = datetime.now(UTC)
        self.statuses: dict[str, CameraStatus] = {
            c.id: CameraStatus(camera_id=c.id, state=CameraState.STARTING, reported_at=now)
            for c in config.cameras
        }
        known = set(self.statuses)
        # What the store remembers from the last run, until the workers report again.
        for status in statuses:
            if status.camera_id in known:
                self.statuses[status.camera_id] = status.model_copy(
                    update={"state": CameraState.STARTING, "reported_at": now}
                )
        self.previews: dict[str, LivePreview] = {}
        self.positions: dict[str, ObjectPositions] = {}
        self.clients: set[LiveClient] = set()
        self.received = 0

    def connect(self) -> LiveClient:
        client = LiveClient()
        self.clients.add(client)
        return client

    def disconnect(self, client: LiveClient) -> None:
        self.clients.discard(client)

    async def run(self, stopping: asyncio.Event) -> None:
        subscription = self.bus.subscribe("live", (EVERYTHING,), durable=False)
        try:
            while not stopping.is_set():
                for delivery in await subscription.fetch(500, 0.5):
                    self.receive(delivery.message)
        finally:
            await subscription.close()
            for client in list(self.clients):
                client.offer(None)

    def receive(self, message: BusMessage) -> None:
        self.received += 1
        if isinstance(message, LivePreview):
            self.previews[message.camera_id] = message
            return  # previews are fetched as images, not pushed as text
        if isinstance(message, ObjectPositions):
            self.positions[message.camera_id] = message
        if isinstance(message, CameraStatus):
            current = self.statuses.get(message.camera_id)
            if current is not None and current.reported_at > message.reported_at:
                return  # an older report delivered late
            self.statuses[message.camera_id] = message
        for client in list(self.clients):
            client.offer(message)

    async def watch(self, stopping: asyncio.Event) -> None:
        """A worker that died or hangs reports nothing: its cameras go offline on the map."""
        limit = max(10.0, 4 * self.config.service.status_interval_s)
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 2.0)
            now = datetime.now(UTC)
            for status in list(self.statuses.values()):
                silent = (now - status.reported_at).total_seconds() > limit
                if silent and status.state is not CameraState.OFFLINE:
                    offline = CameraStatus(
                        camera_id=status.camera_id,
                        state=CameraState.OFFLINE,
                        reported_at=now,
                        last_frame_at=status.last_frame_at,
                        reconnects=status.reconnects,
                        last_error="no report from its worker",
                    )
                    self.statuses[status.camera_id] = offline
                    try:
                        await asyncio.wait_for(self.bus.publish(offline), 5.0)
                    except Exception:
                        log.warning("could not publish %s offline", status.camera_id)
