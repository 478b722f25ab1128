"""In-process publish/subscribe: every subscriber gets every message, slow ones lose the oldest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from cctwin.types import Alert, CameraStatus, Event, Observation

BusMessage = Event | Alert | CameraStatus | Observation


@dataclass(eq=False)
class _Subscriber:
    queue: asyncio.Queue[BusMessage | None]
    dropped: int = 0


class LocalBus:
    """Fan-out inside one asyncio loop; publish never blocks the publisher."""

    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: set[_Subscriber] = set()
        self.published = 0

    def publish(self, message: BusMessage) -> None:
        self.published += 1
        for subscriber in list(self._subscribers):
            if subscriber.queue.full():
                # A stalled browser must not hold the control centre back.
                subscriber.queue.get_nowait()
                subscriber.dropped += 1
            subscriber.queue.put_nowait(message)

    async def subscribe(self) -> AsyncGenerator[BusMessage, None]:
        subscriber = _Subscriber(asyncio.Queue(self.queue_size))
        self._subscribers.add(subscriber)
        try:
            while True:
                message = await subscriber.queue.get()
                if message is None:
                    return
                yield message
        finally:
            self._subscribers.discard(subscriber)

    def close(self) -> None:
        """End every subscription (graceful shutdown with open SSE clients)."""
        for subscriber in list(self._subscribers):
            if subscriber.queue.full():
                subscriber.queue.get_nowait()
            subscriber.queue.put_nowait(None)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
