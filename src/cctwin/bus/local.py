"""The in-process bus (the embedded default): fan-out inside one service, no server.

Workers are other processes; they reach it through a multiprocessing queue that a thread of
the service drains into the fan-out, so the queue stays behind the Bus protocol. Durable
subscriptions queue without limit (the store writer must see every fact); live views drop
their oldest message when a client stalls. Nothing survives a crash of the service: that is
what `bus: {type: nats}` is for.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cctwin.bus.protocol import BusHealth, Delivery, Publisher
from cctwin.bus.subjects import matches, subject_of
from cctwin.messages import BusMessage

_LIVE_QUEUE = 1000


@dataclass(eq=False)
class LocalSubscription:
    """One subscriber's queue; `None` in it means the bus closed."""

    name: str
    subjects: tuple[str, ...]
    durable: bool
    queue: asyncio.Queue[Delivery | None] = field(default_factory=asyncio.Queue)
    dropped: int = 0
    closed: bool = False
    bus: LocalBus | None = None

    def offer(self, delivery: Delivery) -> None:
        if not self.durable and self.queue.qsize() >= _LIVE_QUEUE:
            # A stalled browser must not hold the control centre back.
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(delivery)

    async def fetch(self, max_messages: int, timeout_s: float) -> list[Delivery]:
        if self.closed:
            return []
        try:
            first = await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return []
        batch: list[Delivery] = []
        item = first
        while item is not None:
            batch.append(item)
            if len(batch) >= max_messages or self.queue.empty():
                break
            item = self.queue.get_nowait()
        if item is None:
            self.closed = True
        return batch

    async def close(self) -> None:
        self.closed = True
        if self.bus is not None:
            self.bus.unsubscribe(self)


class QueuePublisher:
    """A worker's end of the local bus: puts messages on the service's multiprocessing queue."""

    def __init__(self, outbox: Any) -> None:
        self.outbox = outbox

    def publish(self, message: BusMessage) -> None:
        self.outbox.put(message)

    def close(self, timeout_s: float = 5.0) -> None:
        # Nothing to do: the queue's feeder thread flushes when the worker process exits, and
        # in the service's own process the queue must stay open for its drain thread.
        return None


@dataclass(frozen=True)
class LocalWorkerLink:
    """Picklable: the multiprocessing queue a worker publishes into."""

    outbox: Any

    def open(self) -> Publisher:
        return QueuePublisher(self.outbox)


class LocalBus:
    """Fan-out inside one asyncio loop; publish never blocks the publisher."""

    def __init__(self) -> None:
        self.health = BusHealth("local", connected=True)
        self._subscriptions: set[LocalSubscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: Any = None
        self._drain: threading.Thread | None = None
        self._closing = threading.Event()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def publish(self, message: BusMessage) -> None:
        self.dispatch(message)

    def dispatch(self, message: BusMessage) -> None:
        """Hand a message to every matching subscription (called on the service's loop)."""
        self.health.published += 1
        subject = subject_of(message)
        delivery = Delivery(subject, message)
        for subscription in list(self._subscriptions):
            if any(matches(pattern, subject) for pattern in subscription.subjects):
                subscription.offer(delivery)

    def subscribe(self, name: str, subjects: Sequence[str], durable: bool) -> LocalSubscription:
        subscription = LocalSubscription(name, tuple(subjects), durable, bus=self)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: LocalSubscription) -> None:
        self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def worker_link(self) -> LocalWorkerLink:
        if self._outbox is None:
            self._outbox = multiprocessing.get_context("spawn").Queue(maxsize=10000)
            self._drain = threading.Thread(target=self._drain_workers, daemon=True)
            self._drain.start()
        return LocalWorkerLink(self._outbox)

    def pending_from_workers(self) -> int:
        """Messages waiting in the worker queue (-1 where the platform cannot tell)."""
        if self._outbox is None:
            return 0
        try:
            return int(self._outbox.qsize())
        except NotImplementedError:
            return -1

    def _drain_workers(self) -> None:
        while not self._closing.is_set():
            try:
                batch = [self._outbox.get(timeout=0.5)]
            except queue.Empty:
                continue
            except (EOFError, OSError, ValueError):  # the queue was closed: shutting down
                return
            # Whatever else is waiting goes over in the same hop to the event loop.
            with contextlib.suppress(queue.Empty, EOFError, OSError, ValueError):
                while len(batch) < 500:
                    batch.append(self._outbox.get_nowait())
            loop = self._loop
            if loop is None or loop.is_closed():
                continue
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._dispatch_all, batch)

    def _dispatch_all(self, messages: list[BusMessage]) -> None:
        for message in messages:
            self.dispatch(message)

    async def close(self) -> None:
        """End every subscription (graceful shutdown with open SSE clients)."""
        self._closing.set()
        for subscription in list(self._subscriptions):
            subscription.queue.put_nowait(None)
        if self._drain is not None:
            await asyncio.to_thread(self._drain.join, 2.0)
