"""NGSI-LD subscriptions (CIM 009 clause 5.8): the manager, matching changes, the notifier.

Matching runs where the change happens (a worker thread); deliveries are queued to the
event loop and sent by one async notifier. A failed delivery marks the subscription
`failed` with `lastFailure` and the reason, and is retried with exponential backoff; the
next success marks it `active` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from cctwin.ngsi.broker import Change, Repository
from cctwin.ngsi.context import ContextStore
from cctwin.ngsi.endpoints import DeliveryError, deliver
from cctwin.ngsi.entities import Json, check_uri, iso, now, parse_time
from cctwin.ngsi.notifications import (
    NULL,
    Notified,
    notification_body,
    notified,
)
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found
from cctwin.ngsi.subscription_model import Subscription, compile_subscription, writable

log = logging.getLogger(__name__)


class SubscriptionOwner(Protocol):
    """Where a subscription lives: the entity subscriptions here, or the context source
    registration subscriptions (ngsi/registration_subscriptions.py), which share this notifier."""

    def current(self, sub_id: str) -> Subscription | None: ...

    def save(self, sub: Subscription) -> None: ...


@dataclass(frozen=True)
class Delivery:
    subscription_id: str
    items: list[Notified]
    released: bool = False  # held back by throttling and now due: not throttled again
    # A notification body prepared by another owner, sent as is (not throttled).
    payload: Json | None = None
    owner: SubscriptionOwner | None = None


@dataclass(frozen=True)
class Outgoing:
    """One notification waiting its turn: the entities to report, or a body another owner
    prepared, and the owner whose subscription it is."""

    items: list[Notified]
    payload: Json | None
    owner: SubscriptionOwner


class SubscriptionManager:
    """Holds subscriptions, matches broker changes and sends HTTP notifications."""

    def __init__(self, repository: Repository, contexts: ContextStore) -> None:
        self.repository = repository
        self.contexts = contexts
        self.subscriptions: dict[str, Subscription] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: asyncio.Queue[Delivery] | None = None
        self.max_backoff_s = 60.0
        self._held: dict[str, dict[str, Notified]] = {}
        # One delivery at a time per subscription, in order, by one task per subscription
        # with something to send; subscriptions do not wait on each other, so an endpoint
        # that is away delays only its own notifications (the oldest dropped past a bound).
        self._pending: dict[str, deque[Outgoing]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.max_pending = 1000
        for sub_id, body in repository.load_subscriptions().items():
            context = body.pop("@context", None)
            try:
                sub = compile_subscription(body, contexts.terms(context), context, stored=True)
            except NgsiError:
                log.warning("skipped stored subscription %s: no longer valid", sub_id)
                continue
            self.subscriptions[sub_id] = sub

    # --- management -----------------------------------------------------------------------

    def create(self, body: object, context: Any) -> Subscription:
        sub = compile_subscription(body, self.contexts.terms(context), context)
        if sub.id in self.subscriptions:
            raise NgsiError(Problem.ALREADY_EXISTS, f"subscription {sub.id} exists")
        jsonld = sub.body.get("jsonldContext")
        if isinstance(jsonld, str):
            # 5.8.1.4: notifications are compacted with it, so it must be had now
            # (LdContextNotAvailable, 503) and be an @context (BadRequestData).
            self.contexts.terms(jsonld)
        self._save(sub)
        return sub

    def get(self, sub_id: str) -> Subscription:
        check_uri(sub_id, "subscription id")  # 5.8.3: not a URI is BadRequestData
        found = self.subscriptions.get(sub_id)
        if found is None:
            raise not_found(f"no subscription {sub_id}")
        return found

    def update(self, sub_id: str, patch: object) -> None:
        current = self.get(sub_id)
        if not isinstance(patch, Mapping):
            raise bad_data("the body must be a JSON object")
        if "id" in patch and patch["id"] != sub_id:
            raise bad_data("the id of a subscription cannot change")
        context = patch.get("@context", current.context)
        # The NGSI-LD Null removes a member as null does (5.4).
        given = {k: None if v == NULL else v for k, v in writable(patch).items()}
        # 5.8.2: a new expiresAt in the past is BadRequestData; one in the future makes an
        # expired subscription active again.
        expires = given.get("expiresAt")
        if expires is not None and parse_time(expires, "expiresAt") <= now():
            raise bad_data("expiresAt must be in the future")
        body = {**current.body, **given}
        # 5.8.2: a member patched to null is removed (BadRequestData if it is mandatory).
        body = {k: v for k, v in body.items() if v is not None}
        body["id"] = sub_id
        sub = compile_subscription(body, self.contexts.terms(context), context, stored=True)
        sub.runtime, sub.failures = current.runtime, current.failures
        self._save(sub)

    def delete(self, sub_id: str) -> None:
        self.get(sub_id)
        del self.subscriptions[sub_id]
        self.repository.delete_subscription(sub_id)

    def _save(self, sub: Subscription) -> None:
        self.subscriptions[sub.id] = sub
        self.repository.save_subscription(sub.id, {**sub.view(), "@context": sub.context})

    def current(self, sub_id: str) -> Subscription | None:
        return self.subscriptions.get(sub_id)

    def save(self, sub: Subscription) -> None:
        # The notifier may hold a version a PATCH replaced, or one deleted meanwhile: keep
        # the current one with the delivery state, never write an old or deleted one back.
        current = self.current(sub.id)
        if current is None:
            return
        if current is not sub:
            current.runtime.update(sub.runtime)
            current.failures, current.last_sent = sub.failures, sub.last_sent
        self._save(current)

    def send(self, sub_id: str, payload: Json, owner: SubscriptionOwner) -> None:
        """Queue a prepared notification of another owner's subscription (any thread)."""
        if self.loop is None or self.queue is None:
            return
        delivery = Delivery(sub_id, [], payload=payload, owner=owner)
        self.loop.call_soon_threadsafe(self.queue.put_nowait, delivery)

    # --- notifications --------------------------------------------------------------------

    def on_changes(self, changes: Sequence[Change]) -> None:
        """Broker listener (any thread): queue a notification per matching subscription."""
        if self.loop is None or self.queue is None:
            return
        for sub in list(self.subscriptions.values()):
            hits = [notified(c) for c in changes if sub.matches(c)]
            if hits:
                delivery = Delivery(sub.id, hits)
                self.loop.call_soon_threadsafe(self.queue.put_nowait, delivery)

    def body(self, sub: Subscription, items: Sequence[Notified]) -> Json:
        terms = self.contexts.terms(sub.shape.context)
        return notification_body(sub.id, sub.shape, terms, items)

    def due(self, moment: float) -> list[Subscription]:
        """timeInterval subscriptions whose period is over at `moment` (time.monotonic)."""
        return [
            s
            for s in list(self.subscriptions.values())  # other threads add and remove
            if s.interval is not None and s.active and moment >= s.last_periodic + s.interval
        ]

    def selected(self, sub: Subscription) -> list[Notified]:
        """The entities a periodic notification reports: all those the subscription selects."""
        types = sorted({n for selection, _, _ in sub.types for n in selection.names}) or None
        found = self.repository.scan_entities(types, None)
        return [Notified(e) for e in found if sub.selects(e)]

    async def run(self, stopping: asyncio.Event) -> None:
        """Send queued (and periodic) notifications until `stopping`."""
        self.loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue()
        async with httpx.AsyncClient(timeout=5.0) as client:
            while not stopping.is_set():
                await self._periodic(client, stopping)
                try:
                    delivery = await asyncio.wait_for(self.queue.get(), 0.2)
                except TimeoutError:
                    continue
                owner = delivery.owner or self
                sub = owner.current(delivery.subscription_id)
                if sub is None or not sub.active:
                    continue
                wait = sub.last_sent + sub.throttling - self.loop.time()
                held = delivery.payload is None and not delivery.released
                if sub.throttling and sub.last_sent and wait > 0 and held:
                    self._hold(sub.id, delivery.items, wait)
                    continue
                if sub.throttling:
                    # The period runs from this notification's start, not its delivery: a
                    # change arriving while it is still on its way is held, not sent too.
                    sub.last_sent = self.loop.time()
                outgoing = Outgoing(delivery.items, delivery.payload, owner)
                self._dispatch(client, sub, outgoing, stopping)
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _periodic(self, client: httpx.AsyncClient, stopping: asyncio.Event) -> None:
        moment = time.monotonic()
        for sub in self.due(moment):
            sub.last_periodic = moment
            if sub.id in self._tasks:
                continue  # the last period's notification is still on its way: skip one
            items = await asyncio.to_thread(self.selected, sub)
            if items:
                self._dispatch(client, sub, Outgoing(items, None, self), stopping)

    def _dispatch(
        self,
        client: httpx.AsyncClient,
        sub: Subscription,
        outgoing: Outgoing,
        stopping: asyncio.Event,
    ) -> None:
        pending = self._pending.setdefault(sub.id, deque())
        if len(pending) >= self.max_pending:
            pending.popleft()
            log.warning("notifications of %s pile up; the oldest was dropped", sub.id)
        pending.append(outgoing)
        if sub.id not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._drain(client, sub.id, stopping))
            self._tasks[sub.id] = task

    async def _drain(self, client: httpx.AsyncClient, sub_id: str, stopping: asyncio.Event) -> None:
        """Send a subscription's pending notifications in order (runs on the event loop)."""
        try:
            pending = self._pending.get(sub_id)
            while pending and not stopping.is_set():
                outgoing = pending.popleft()
                sub = outgoing.owner.current(sub_id)
                if sub is None:
                    break
                await self._send(client, sub, outgoing, stopping)
        finally:
            self._pending.pop(sub_id, None)
            self._tasks.pop(sub_id, None)

    def _hold(self, sub_id: str, items: Sequence[Notified], wait_s: float) -> None:
        # Throttled: keep the newest state of each entity and send them all when the
        # throttling period is over, so no change is lost, only merged.
        held = self._held.setdefault(sub_id, {})
        first = not held
        held.update((i.entity.id, i) for i in items)
        if first and self.loop is not None:
            self.loop.call_later(wait_s, self._release, sub_id)

    def _release(self, sub_id: str) -> None:
        held = self._held.pop(sub_id, {})
        if held and self.queue is not None:
            self.queue.put_nowait(Delivery(sub_id, list(held.values()), released=True))

    async def _send(
        self,
        client: httpx.AsyncClient,
        sub: Subscription,
        outgoing: Outgoing,
        stopping: asyncio.Event,
    ) -> None:
        owner = outgoing.owner
        body = outgoing.payload if outgoing.payload is not None else self.body(sub, outgoing.items)
        delay = 0.5
        while not stopping.is_set():
            current = owner.current(sub.id)
            if current is None:
                break
            sub = current  # an update since keeps its counters current
            try:
                await deliver(client, sub.shape, body)
            except DeliveryError as error:
                self._failed(sub, str(error))
                # Backoff: the endpoint is away; wait longer each time, up to max_backoff_s.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)
                delay = min(delay * 2, self.max_backoff_s)
                continue
            sub.failures = 0
            sub.last_sent = asyncio.get_running_loop().time()
            stamp = iso(now())
            sub.runtime.update(
                lastNotification=stamp,
                lastSuccess=stamp,
                timesSent=int(sub.runtime.get("timesSent", 0)) + 1,
            )
            await asyncio.to_thread(owner.save, sub)
            return

    def _failed(self, sub: Subscription, reason: str) -> None:
        sub.failures += 1
        stamp = iso(now())
        sub.runtime.update(
            lastNotification=stamp,
            lastFailure=stamp,
            timesFailed=int(sub.runtime.get("timesFailed", 0)) + 1,
            lastErrorReason=reason,
        )
        log.warning("notification of %s to %s failed: %s", sub.id, sub.endpoint, reason)
