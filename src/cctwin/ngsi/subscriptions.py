"""NGSI-LD subscriptions (CIM 009 clause 5.8): validation, matching changes, HTTP notifier.

Matching runs where the change happens (a worker thread); deliveries are queued to the
event loop and sent by one async notifier. A failed delivery marks the subscription
`failed` with `lastFailure` and the reason, and is retried with exponential backoff; the
next success marks it `active` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from cctwin.ngsi.broker import Change, Repository
from cctwin.ngsi.context import ContextStore, TermMap
from cctwin.ngsi.endpoints import DeliveryError, deliver
from cctwin.ngsi.entities import Entity, Json, check_uri, iso, now, parse_time
from cctwin.ngsi.notifications import (
    DEFAULT_TRIGGERS,
    NULL,
    Notified,
    Shape,
    check_triggers,
    fired,
    notification_body,
    notified,
    parse_shape,
)
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found
from cctwin.ngsi.query import GeoQuery, Predicate, parse_geo_body, parse_q
from cctwin.ngsi.scopes import parse_scope_q
from cctwin.ngsi.type_selection import TypeSelection, parse_types

log = logging.getLogger(__name__)

_FIELDS = frozenset(
    {
        "id", "type", "subscriptionName", "description", "entities", "watchedAttributes",
        "notificationTrigger", "q", "geoQ", "csf", "isActive", "notification", "expiresAt",
        "expires", "throttling", "timeInterval", "lang", "scopeQ", "@context", "jsonldContext",
        "status", "temporalQ", "datasetId",
    }
)  # fmt: skip
# Members of `notification` the broker maintains (CIM 009 NotificationParams); a client
# cannot set them. lastErrorReason is Orion-LD's name for why the last delivery failed.
_RUNTIME = (
    "status", "timesSent", "timesFailed", "lastNotification", "lastFailure", "lastSuccess",
    "lastErrorReason",
)  # fmt: skip


@dataclass
class Subscription:
    """A validated subscription: the body as given (compact) and its compiled filters."""

    id: str
    body: Json
    context: Any
    types: list[tuple[TypeSelection, str | None, re.Pattern[str] | None]]  # type, id, idPattern
    watched: frozenset[str] | None
    q: Predicate | None
    geo: GeoQuery | None
    shape: Shape
    throttling: float
    expires: datetime | None
    scope: Predicate | None = None  # scopeQ
    triggers: frozenset[str] = DEFAULT_TRIGGERS
    interval: float | None = None  # timeInterval: periodic notifications, not on change
    last_sent: float = 0.0
    # timeInterval: the first notification is one interval after creation (monotonic s).
    last_periodic: float = field(default_factory=time.monotonic)
    failures: int = 0
    runtime: Json = field(default_factory=dict)

    @property
    def active(self) -> bool:
        if self.body.get("isActive") is False:
            return False
        return self.expires is None or self.expires > now()

    def status(self) -> str:
        if self.body.get("isActive") is False:
            return "paused"
        if self.expires is not None and self.expires <= now():
            return "expired"
        return "failed" if self.failures else "active"

    @property
    def endpoint(self) -> str:
        return self.shape.endpoint

    def matches(self, change: Change) -> bool:
        if not self.active or self.interval is not None:
            return False
        if not fired(change, self.watched) & self.triggers:
            return False
        return self.selects(change.entity)

    def selects(self, entity: Entity) -> bool:
        """Whether the entity is one this subscription is about (entities, q, geoQ, scopeQ)."""
        if self.types and not any(_selects(s, entity) for s in self.types):
            return False
        if self.q is not None and not self.q(entity):
            return False
        if self.scope is not None and not self.scope(entity):
            return False
        return self.geo is None or self.geo(entity)

    def view(self) -> Json:
        """The subscription as the API shows it: delivery state inside `notification`; the
        top-level status is active, paused, expired, or failed while deliveries fail."""
        notification = {**self.body["notification"], **self.runtime}
        if self.runtime:
            notification["status"] = "failed" if self.failures else "ok"
        return {**self.body, "notification": notification, "status": self.status()}


def _selects(
    selector: tuple[TypeSelection, str | None, re.Pattern[str] | None], entity: Entity
) -> bool:
    selection, entity_id, pattern = selector
    if not selection(entity.types):
        return False
    if entity_id is not None and entity.id != entity_id:
        return False
    return pattern is None or pattern.search(entity.id) is not None


def compile_subscription(
    body: object, terms: TermMap, context: Any, *, stored: bool = False
) -> Subscription:
    """Validate a subscription body (BadRequestData if it is not one). A client's body
    (`stored` False) loses the read-only members (CIM 009 Table 5.2.12-2: provided by a
    subscriber, they are ignored) and members 5.2.12 does not define; a stored one keeps
    its delivery state."""
    if not isinstance(body, Mapping):
        raise bad_data("a subscription must be a JSON object")
    if not stored:
        body = _writable(body)
        if any(v is None for v in body.values()):
            # 5.5.4: null removes a member in a PATCH; a new subscription has none.
            raise bad_data("a subscription member cannot be null")
    if body.get("type") != "Subscription":
        raise bad_data("a subscription has type 'Subscription'")
    # 5.8.1.4: an id is generated only when the body has none; an empty one is not a URI.
    given_id = body.get("id")
    sub_id = check_uri(
        f"urn:ngsi-ld:Subscription:{uuid.uuid4()}" if given_id is None else given_id, "id"
    )
    entities = body.get("entities")
    watched = body.get("watchedAttributes")
    if entities is None and watched is None:
        raise bad_data("a subscription needs entities or watchedAttributes")
    selectors = [_selector(s, terms) for s in _list(entities, "entities")]
    if watched is not None and (not isinstance(watched, list) or not watched):
        raise bad_data("watchedAttributes must be a non-empty list")
    shape = parse_shape(body, terms, context)
    notification = body["notification"]
    throttling = body.get("throttling", 0)
    if not isinstance(throttling, (int, float)) or throttling < 0:
        raise bad_data("throttling must be a non-negative number of seconds")
    interval = _interval(body)
    expires_text = body.get("expiresAt", body.get("expires"))
    expires = parse_time(expires_text, "expiresAt") if expires_text is not None else None
    if not stored and expires is not None and expires <= now():
        # A stored subscription may have expired since; only a new expiresAt is checked.
        raise bad_data("expiresAt must be in the future")
    if body.get("isActive") not in (None, True, False):
        raise bad_data("isActive must be a boolean")
    q = body.get("q")
    _check_csf(body.get("csf"), terms)
    scope_q = body.get("scopeQ")
    if scope_q is not None and not isinstance(scope_q, str):
        raise bad_data("scopeQ must be a string")
    clean = {k: v for k, v in body.items() if k not in ("status", "@context")}
    clean["id"] = sub_id
    clean["notification"] = {k: v for k, v in notification.items() if k not in _RUNTIME}
    runtime = {k: v for k, v in notification.items() if k in _RUNTIME and k != "status"}
    return Subscription(
        id=sub_id,
        body=clean,
        context=context,
        types=selectors,
        watched=frozenset(terms.expand(a) for a in watched) if watched else None,
        q=parse_q(q, terms) if isinstance(q, str) else None,
        geo=parse_geo_body(body.get("geoQ"), terms),
        shape=shape,
        throttling=float(throttling),
        expires=expires,
        failures=1 if notification.get("status") == "failed" else 0,
        scope=parse_scope_q(scope_q) if scope_q is not None else None,
        triggers=check_triggers(body.get("notificationTrigger")),
        interval=interval,
        runtime=runtime,
    )


def _writable(body: Mapping[str, Any]) -> dict[str, Any]:
    """A client's subscription without what only the broker sets (5.2.12-2)."""
    out = {k: v for k, v in body.items() if k in _FIELDS and k != "status"}
    notification = out.get("notification")
    if isinstance(notification, Mapping):
        out["notification"] = {k: v for k, v in notification.items() if k not in _RUNTIME}
    return out


def _check_csf(csf: object, terms: TermMap) -> None:
    """csf is a query as per clause 4.9 (5.2.12): checked here, applied by registration
    subscriptions, so a malformed one is refused rather than matching nothing."""
    if csf is None:
        return
    if not isinstance(csf, str) or not csf:
        raise bad_data("csf must be a query string")
    parse_q(csf, terms)


def _interval(body: Mapping[str, Any]) -> float | None:
    """timeInterval (seconds): periodic notifications; it excludes watchedAttributes and
    throttling (CIM 009 5.2.12)."""
    interval = body.get("timeInterval")
    if interval is None:
        return None
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        raise bad_data("timeInterval must be a positive number of seconds")
    if body.get("watchedAttributes") is not None:
        raise bad_data("timeInterval and watchedAttributes cannot be used together")
    if body.get("throttling"):
        raise bad_data("timeInterval and throttling cannot be used together")
    return float(interval)


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        raise bad_data(f"{what} must be a non-empty list")
    return value


def _selector(
    raw: object, terms: TermMap
) -> tuple[TypeSelection, str | None, re.Pattern[str] | None]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
        raise bad_data("each entities member needs a type")
    entity_id = raw.get("id")
    if entity_id is not None:
        check_uri(entity_id, "entities.id")
    pattern = raw.get("idPattern")
    try:
        compiled = re.compile(pattern) if isinstance(pattern, str) else None
    except re.error as error:
        raise bad_data(f"bad idPattern: {error}") from error
    return parse_types(raw["type"], terms), entity_id, compiled


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
        given = {k: None if v == NULL else v for k, v in _writable(patch).items()}
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
