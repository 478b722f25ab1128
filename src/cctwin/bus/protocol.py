"""The Bus boundary: publish facts, subscribe with acknowledgement, publish from workers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cctwin.messages import BusMessage

log = logging.getLogger(__name__)


class BusUnavailableError(RuntimeError):
    """The broker cannot be reached at start-up (one clear line, exit 2)."""


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message handed to a subscriber; `ack` once it is handled (durable subscriptions)."""

    subject: str
    message: BusMessage
    ack: Callable[[], Awaitable[None]] = _nothing


@dataclass
class BusHealth:
    """What /api/health and /metrics say about the bus."""

    transport: str
    connected: bool = False
    last_error: str = ""
    published: int = 0
    malformed: int = 0
    dropped: int = 0
    _warned_subjects: set[str] = field(default_factory=set, repr=False)

    def count_malformed(self, subject: str, reason: str) -> None:
        """Count a message nobody can read; log it once per subject so logs stay readable."""
        self.malformed += 1
        if subject not in self._warned_subjects:
            self._warned_subjects.add(subject)
            log.warning("skipped a malformed message on %s: %s", subject, reason)


class Subscription(Protocol):
    """Messages on some subjects, fetched in batches."""

    async def fetch(self, max_messages: int, timeout_s: float) -> list[Delivery]:
        """Up to `max_messages` deliveries; [] after `timeout_s` without any."""
        ...

    async def close(self) -> None: ...


class Publisher(Protocol):
    """Publishes from a worker process or thread: never blocks, keeps order, retries."""

    def publish(self, message: BusMessage) -> None: ...

    def close(self, timeout_s: float = 5.0) -> None:
        """Flush what is pending (up to `timeout_s`) and disconnect."""
        ...


class WorkerLink(Protocol):
    """A picklable way for a worker process to reach the service's bus."""

    def open(self) -> Publisher: ...


class Bus(Protocol):
    """Where facts travel between workers, the service's subscribers and integrators."""

    health: BusHealth

    async def start(self) -> None:
        """Connect (BusUnavailableError if the broker cannot be reached)."""
        ...

    async def publish(self, message: BusMessage) -> None:
        """Publish one message; returns once the transport has accepted it."""
        ...

    def subscribe(self, name: str, subjects: Sequence[str], durable: bool) -> Subscription:
        """A subscription named `name`: durable ones see every fact and resume after a
        restart; the others are live views that drop the oldest when they fall behind."""
        ...

    def worker_link(self) -> WorkerLink: ...

    async def close(self) -> None: ...
