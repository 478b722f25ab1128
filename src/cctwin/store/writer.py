"""The store writer: one subscriber that puts every fact into the store, exactly once.

Facts arrive at least once (a redelivery after a crash, a worker's retry); the store skips
ids it already has, so each fact is stored once. A batch is acknowledged only after it is
committed, so a crash between the two means redelivery, never loss.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import PREFIX
from cctwin.messages import BusMessage, CameraStatus, Event, MediaReady, Observation
from cctwin.store.protocol import FactStore

log = logging.getLogger(__name__)

SUBJECTS = tuple(f"{PREFIX}.{fact}.>" for fact in ("events", "observations", "status", "media"))
BATCH = 1000


@dataclass
class WriteTally:
    """What the writer stored: new rows by fact type, duplicates skipped, last batch's time."""

    stored: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    failures: int = 0
    last_batch_ms: float = 0.0


StoredListener = Callable[[Sequence[BusMessage]], None]


class StoreWriter:
    """Subscriber with one job: facts on the bus -> rows in the store."""

    def __init__(self, store: FactStore, bus: Bus) -> None:
        self.store = store
        self.bus = bus
        self.tally = WriteTally()
        # Called on the event loop after each committed batch (benchmarks, tests).
        self.listeners: list[StoredListener] = []
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    def expect(self, fact_id: str) -> asyncio.Future[None]:
        """A future done once a fact with this id is committed; take it before publishing."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(fact_id, []).append(future)
        return future

    async def stored(
        self, fact_id: str, timeout_s: float, future: asyncio.Future[None] | None = None
    ) -> bool:
        """Wait until a fact with this id is committed; False after `timeout_s`."""
        future = future or self.expect(fact_id)
        try:
            await asyncio.wait_for(future, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            self.forget(fact_id, future)

    def forget(self, fact_id: str, future: asyncio.Future[None]) -> None:
        """Stop waiting for a fact (it was stored before, or the wait is over)."""
        waiting = self._waiting.get(fact_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self._waiting.pop(fact_id, None)

    async def run(self, stopping: asyncio.Event) -> None:
        subscription = self.bus.subscribe("store", SUBJECTS, durable=True)
        try:
            while not stopping.is_set():
                batch = await subscription.fetch(BATCH, 0.5)
                if not batch:
                    continue
                messages = [d.message for d in batch]
                await self._write_until_done(messages, stopping)
                for delivery in batch:
                    await delivery.ack()
                for listener in self.listeners:
                    listener(messages)
                for message in messages:
                    for future in self._waiting.pop(getattr(message, "id", ""), []):
                        if not future.done():
                            future.set_result(None)
        finally:
            await subscription.close()

    async def _write_until_done(self, messages: list[BusMessage], stopping: asyncio.Event) -> None:
        delay = 0.2
        while True:
            try:
                await asyncio.to_thread(self.write, messages)
                return
            except Exception:
                # The database is locked or away: keep the batch (unacknowledged) and retry.
                self.tally.failures += 1
                log.exception("could not store %d facts; retrying", len(messages))
                if stopping.is_set():
                    raise
                await asyncio.sleep(delay)
                delay = min(2 * delay, 5.0)

    def write(self, messages: Sequence[BusMessage]) -> None:
        """Store one batch (in a worker thread: the database never blocks the event loop)."""
        started = time.perf_counter()
        events = [m for m in messages if isinstance(m, Event)]
        observations = [m for m in messages if isinstance(m, Observation)]
        media = [m for m in messages if isinstance(m, MediaReady)]
        statuses = {m.camera_id: m for m in messages if isinstance(m, CameraStatus)}
        new = {
            "events": self.store.add_events(events),
            "observations": self.store.add_observations(observations),
            "media": self.store.add_media_records(media),
        }
        for status in statuses.values():
            self.store.save_camera_status(status)
        for name, count in new.items():
            self.tally.stored[name] = self.tally.stored.get(name, 0) + count
        self.tally.duplicates += len(events) + len(observations) + len(media) - sum(new.values())
        self.tally.last_batch_ms = 1000 * (time.perf_counter() - started)
