"""The NATS JetStream bus: facts are durable on the server, consumers resume after a crash.

Facts are published with `Nats-Msg-Id` set to their deterministic id, so JetStream drops a
re-sent duplicate inside its window; durable pull consumers ack only after a fact is
handled, so a crash means redelivery, and the consumers are idempotent by id. Live previews
use core NATS (fire and forget): they are never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cctwin.bus.protocol import BusHealth, BusUnavailableError, Delivery, Publisher
from cctwin.bus.subjects import LIVE, POSITIONS, STREAM_SUBJECTS, decode, encode, subject_of
from cctwin.config import NatsBusConfig
from cctwin.messages import BusMessage, LivePreview, ObjectPositions

# Live views: core NATS, never kept by the stream.
_EPHEMERAL = (LivePreview, ObjectPositions)

log = logging.getLogger(__name__)

_LIVE_QUEUE = 1000
_PUBLISH_WINDOW = 256


async def connect(config: NatsBusConfig, health: BusHealth | None = None) -> Any:
    """A NATS connection that reconnects forever once made; BusUnavailableError if it cannot."""
    import nats

    async def disconnected() -> None:
        if health is not None:
            health.connected = False
            health.last_error = "disconnected from NATS; reconnecting"

    async def reconnected() -> None:
        if health is not None:
            health.connected, health.last_error = True, ""

    async def error(exc: Exception) -> None:
        if health is not None:
            health.last_error = str(exc) or type(exc).__name__

    try:
        # With endless reconnects nats-py would also retry the first connect forever; a
        # broker that is not there at start-up is an error the operator must see at once.
        connection = await asyncio.wait_for(
            nats.connect(
                config.url,
                connect_timeout=config.connect_timeout_s,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                allow_reconnect=True,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
            ),
            2 * config.connect_timeout_s,
        )
    except Exception as exc:
        raise BusUnavailableError(
            f"cannot reach NATS at {config.url}: {str(exc) or 'no answer within the connect timeout'}"
        ) from None
    if health is not None:
        health.connected = True
    return connection


async def ensure_stream(jetstream: Any, config: NatsBusConfig) -> None:
    """Create the stream of facts, or bring an existing one to this configuration."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import BadRequestError, NotFoundError

    stream = StreamConfig(
        name=config.stream,
        subjects=list(STREAM_SUBJECTS),
        storage=StorageType.FILE,
        duplicate_window=config.duplicate_window_s,
        max_age=config.max_age_s,
    )
    try:
        await jetstream.add_stream(stream)
    except BadRequestError as exc:
        try:
            await jetstream.update_stream(stream)
        except NotFoundError:
            # Another stream already takes these subjects: two deployments share one broker.
            raise BusUnavailableError(
                f"NATS at {config.url}: the subjects of stream {config.stream!r} are taken by "
                f"another stream ({exc.description}); use that stream's name or another broker"
            ) from None


class NatsDurableSubscription:
    """A durable pull consumer: every fact on its subjects, resumed where it was acked."""

    def __init__(self, bus: NatsBus, name: str, subjects: Sequence[str]) -> None:
        self.bus, self.name = bus, name
        self.subjects = [s for s in subjects if s not in (LIVE, POSITIONS)]
        self._pull: Any = None

    async def _bind(self) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig

        if self._pull is None:
            filters = {"filter_subjects": self.subjects}
            if len(self.subjects) == 1:
                filters = {"filter_subject": self.subjects[0]}  # type: ignore[dict-item]
            config = ConsumerConfig(
                durable_name=self.name,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.bus.config.ack_wait_s,
                max_ack_pending=20000,
                **filters,  # type: ignore[arg-type]
            )
            await self.bus.jetstream.add_consumer(self.bus.config.stream, config)
            self._pull = await self.bus.jetstream.pull_subscribe_bind(
                durable=self.name, stream=self.bus.config.stream
            )
        return self._pull

    async def fetch(self, max_messages: int, timeout_s: float) -> list[Delivery]:
        try:
            pull = await self._bind()
            messages = await pull.fetch(batch=max_messages, timeout=timeout_s)
        except TimeoutError:
            return []
        except Exception as exc:  # the broker is away: wait, then try again
            self.bus.health.last_error = (
                f"{self.name}: {str(exc) or 'no answer within the connect timeout'}"
            )
            self._pull = None
            await asyncio.sleep(min(timeout_s, 1.0))
            return []
        deliveries = []
        for message in messages:
            try:
                decoded = decode(message.subject, message.data)
            except ValueError as exc:
                self.bus.health.count_malformed(message.subject, str(exc))
                with contextlib.suppress(Exception):
                    await message.term()  # never redelivered: it will not parse next time either
                continue
            deliveries.append(Delivery(message.subject, decoded, message.ack))
        return deliveries

    async def close(self) -> None:
        if self._pull is not None:
            with contextlib.suppress(Exception):
                await self._pull.unsubscribe()


class NatsLiveSubscription:
    """Core NATS subscriptions for live views: what happens now, oldest dropped when behind."""

    def __init__(self, bus: NatsBus, subjects: Sequence[str]) -> None:
        self.bus, self.subjects = bus, list(subjects)
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._subs: list[Any] = []

    async def _handle(self, message: Any) -> None:
        try:
            decoded = decode(message.subject, message.data)
        except ValueError as exc:
            self.bus.health.count_malformed(message.subject, str(exc))
            return
        if self.queue.qsize() >= _LIVE_QUEUE:
            self.queue.get_nowait()
            self.bus.health.dropped += 1
        self.queue.put_nowait(Delivery(message.subject, decoded))

    async def fetch(self, max_messages: int, timeout_s: float) -> list[Delivery]:
        if not self._subs:
            for subject in self.subjects:
                self._subs.append(await self.bus.connection.subscribe(subject, cb=self._handle))
        try:
            first = await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return []
        batch = [first]
        while len(batch) < max_messages and not self.queue.empty():
            batch.append(self.queue.get_nowait())
        return batch

    async def close(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


class NatsBus:
    """The Bus on NATS JetStream."""

    def __init__(self, config: NatsBusConfig) -> None:
        self.config = config
        self.health = BusHealth("nats")
        self.connection: Any = None
        self.jetstream: Any = None

    async def start(self) -> None:
        self.connection = await connect(self.config, self.health)
        self.jetstream = self.connection.jetstream()
        try:
            await ensure_stream(self.jetstream, self.config)
        except BusUnavailableError:
            await self.connection.close()
            raise
        except Exception as exc:
            await self.connection.close()
            raise BusUnavailableError(
                f"NATS at {self.config.url} has no usable JetStream ({exc}); "
                "start nats-server with -js"
            ) from None

    async def publish(self, message: BusMessage) -> None:
        subject, data = subject_of(message), encode(message)
        if isinstance(message, _EPHEMERAL):
            await self.connection.publish(subject, data)
        else:
            await publish_fact(self.jetstream, subject, data, message.id)
        self.health.published += 1

    def subscribe(
        self, name: str, subjects: Sequence[str], durable: bool
    ) -> NatsDurableSubscription | NatsLiveSubscription:
        if durable:
            return NatsDurableSubscription(self, name, subjects)
        return NatsLiveSubscription(self, subjects)

    def worker_link(self) -> NatsWorkerLink:
        return NatsWorkerLink(self.config)

    async def close(self) -> None:
        if self.connection is not None:
            # Drain what is in flight, but a broker that is away must not hold a shutdown.
            try:
                await asyncio.wait_for(self.connection.drain(), 2.0)
            except Exception:
                with contextlib.suppress(Exception):
                    await self.connection.close()


async def publish_fact(jetstream: Any, subject: str, data: bytes, fact_id: str) -> None:
    """JetStream publish keyed by the fact's id, retried until the server has stored it."""
    delay = 0.1
    while True:
        try:
            await jetstream.publish(subject, data, timeout=5.0, headers={"Nats-Msg-Id": fact_id})
            return
        except Exception as exc:
            # A retry after a lost ack is safe: the server drops the duplicate id.
            log.debug("publish of %s failed (%s); retrying", fact_id, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


@dataclass(frozen=True)
class NatsWorkerLink:
    """Picklable: where a worker process publishes."""

    config: NatsBusConfig

    def open(self) -> Publisher:
        return NatsPublisher(self.config)


class NatsPublisher:
    """A worker's publisher: a thread with its own event loop, which buffers while NATS is
    away and publishes in order once it is back (facts are never dropped; previews are)."""

    def __init__(self, config: NatsBusConfig, buffer: int = 200_000) -> None:
        self.config = config
        self.pending: queue.Queue[BusMessage | None] = queue.Queue(buffer)
        self.health = BusHealth("nats")
        self._thread = threading.Thread(target=self._run, name="nats-publisher", daemon=True)
        self._thread.start()

    def publish(self, message: BusMessage) -> None:
        if isinstance(message, _EPHEMERAL) and self.pending.qsize() > 100:
            return  # behind: a newer one comes at the next analysed frame
        self.pending.put(message)

    def close(self, timeout_s: float = 5.0) -> None:
        self.pending.put(None)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        asyncio.run(self._publish_forever())

    async def _publish_forever(self) -> None:
        connection = None
        while connection is None:
            try:
                connection = await connect(self.config, self.health)
            except BusUnavailableError as exc:
                self.health.last_error = str(exc)
                await asyncio.sleep(1.0)
        jetstream = connection.jetstream()
        done = False
        while not done:
            batch = await asyncio.to_thread(self._take, _PUBLISH_WINDOW)
            done = any(m is None for m in batch)
            sends = [self._send(connection, jetstream, m) for m in batch if m is not None]
            await asyncio.gather(*sends)
        with contextlib.suppress(Exception):
            await connection.drain()

    def _take(self, size: int) -> list[BusMessage | None]:
        batch = [self.pending.get()]
        while len(batch) < size and batch[-1] is not None:
            try:
                batch.append(self.pending.get_nowait())
            except queue.Empty:
                break
        return batch

    async def _send(self, connection: Any, jetstream: Any, message: BusMessage) -> None:
        subject, data = subject_of(message), encode(message)
        if isinstance(message, _EPHEMERAL):
            with contextlib.suppress(Exception):
                await connection.publish(subject, data)
            return
        await publish_fact(jetstream, subject, data, message.id)
        self.health.published += 1


def wait_for_server(url: str, timeout_s: float) -> bool:
    """Whether a NATS server answers at `url` within `timeout_s` (tests, CLI checks)."""
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(
                (parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout=0.5
            ),
        ):
            return True
        time.sleep(0.1)
    return False
