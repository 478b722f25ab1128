"""Context source registration subscriptions (CIM 009 5.11): ContextSourceNotifications.

A subscription (the Subscription data type, validated as entity subscriptions are) names
entities, watched attributes, q, csf, geoQ, scopeQ and temporalQ; a registration matches it as discovery would
(ngsi/registration_query.py). Without `timeInterval` it is notified on creation of every
registration matching then (newlyMatching) and on each registration change (newlyMatching,
updated, noLongerMatching); with one, every `timeInterval` seconds with all that match
then (newlyMatching, possibly none). Delivery, failure status and backoff are the entity
subscriptions' notifier (ngsi/subscriptions.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cctwin.ngsi.context import CORE_CONTEXT, ContextStore
from cctwin.ngsi.entities import Json, check_uri, iso, now
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found
from cctwin.ngsi.query import parse_q, q_names
from cctwin.ngsi.registration_query import RegistrationQuery, parse_temporal
from cctwin.ngsi.registrations import Registration, render_registration
from cctwin.ngsi.registry import RegistrationChange, RegistrationRepository, Registry
from cctwin.ngsi.scopes import parse_scopes
from cctwin.ngsi.subscription_model import Subscription, compile_subscription
from cctwin.ngsi.subscriptions import SubscriptionManager

log = logging.getLogger(__name__)
NOTIFICATION = "ContextSourceNotification"


@dataclass
class CSourceSubscription:
    """A validated registration subscription: the notifier's view and its discovery queries."""

    sub: Subscription
    queries: list[RegistrationQuery]
    interval_s: float | None
    last_periodic: float = 0.0

    def matches(self, reg: Registration) -> bool:
        return any(q.matches(reg) for q in self.queries)


def compile_csource_subscription(
    body: object, contexts: ContextStore, context: Any, *, stored: bool = False
) -> CSourceSubscription:
    """Validate a registration subscription (BadRequestData if it is not one)."""
    terms = contexts.terms(context)
    sub = compile_subscription(body, terms, context, stored=stored)
    if not isinstance(body, Mapping):  # compile_subscription refused it already
        raise bad_data("a subscription must be a JSON object")
    interval = body.get("timeInterval")
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0
    ):
        raise bad_data("timeInterval must be a number of seconds greater than 0")
    if interval is not None and body.get("watchedAttributes") is not None:
        raise bad_data("a subscription has timeInterval or watchedAttributes, not both")
    names = set(sub.watched or ())
    if isinstance(body.get("q"), str):
        names |= q_names(body["q"], terms)
    csf = body.get("csf")
    if csf is not None and not isinstance(csf, str):
        raise bad_data("csf must be a string")
    scope = body.get("scopeQ")
    if scope is not None and not isinstance(scope, str):
        raise bad_data("scopeQ must be a string")
    temporal = body.get("temporalQ")
    if temporal is not None and not isinstance(temporal, Mapping):
        raise bad_data("temporalQ must be an object")
    if temporal is not None and "timerel" not in temporal:
        # 5.2.21: a TemporalQuery's timerel and timeAt have cardinality 1.
        raise bad_data("temporalQ needs timerel and timeAt")
    base = RegistrationQuery(
        attrs=frozenset(names) if names else None,
        csf=parse_q(csf, terms) if csf is not None else None,
        geo=sub.geo,
        scope=parse_scopes(scope) if scope is not None else None,
        temporal=parse_temporal(temporal) if temporal is not None else None,
    )
    # One query per EntityInfo: a registration matches when it could supply any of them.
    queries = [
        replace(
            base,
            types=selection.names,  # a registration of any type named could supply it
            ids=frozenset({entity_id}) if entity_id else None,
            id_pattern=pattern,
        )
        for selection, entity_id, pattern in sub.types
    ] or [base]
    return CSourceSubscription(sub, queries, float(interval) if interval else None)


class CSourceSubscriptions:
    """Holds registration subscriptions; sends ContextSourceNotifications through `notifier`."""

    def __init__(
        self,
        repository: RegistrationRepository,
        contexts: ContextStore,
        registry: Registry,
        notifier: SubscriptionManager,
    ) -> None:
        self.repository = repository
        self.contexts = contexts
        self.registry = registry
        self.notifier = notifier
        self.subscriptions: dict[str, CSourceSubscription] = {}
        self._expired: set[str] = set()  # registrations already told as expired
        for sub_id, body in repository.load_csource_subscriptions().items():
            context = body.pop("@context", None)
            try:
                self.subscriptions[sub_id] = compile_csource_subscription(
                    body, contexts, context, stored=True
                )
            except NgsiError:
                log.warning("skipped stored registration subscription %s: invalid", sub_id)
        registry.listeners.append(self.on_change)

    # --- management -----------------------------------------------------------------------

    def create(self, body: object, context: Any) -> CSourceSubscription:
        found = compile_csource_subscription(body, self.contexts, context)
        if found.sub.id in self.subscriptions:
            raise NgsiError(Problem.ALREADY_EXISTS, f"subscription {found.sub.id} exists")
        self._store(found)
        if found.interval_s is None and found.sub.active:
            matching = [r for r in self.registry.query(RegistrationQuery()) if found.matches(r)]
            if matching:
                self._notify(found, matching, "newlyMatching")
        return found

    def get(self, sub_id: str) -> CSourceSubscription:
        check_uri(sub_id, "subscription id")
        found = self.subscriptions.get(sub_id)
        if found is None:
            raise not_found(f"no context source registration subscription {sub_id}")
        return found

    def update(self, sub_id: str, patch: object) -> None:
        current = self.get(sub_id)
        if not isinstance(patch, Mapping):
            raise bad_data("the body must be a JSON object")
        if "id" in patch and patch["id"] != sub_id:
            raise bad_data("the id of a subscription cannot change")
        context = patch.get("@context", current.sub.context)
        body = {**current.sub.body, **{k: v for k, v in patch.items() if k != "@context"}}
        body = {k: v for k, v in body.items() if v is not None}
        body["id"] = sub_id
        found = compile_csource_subscription(body, self.contexts, context)
        found.sub.runtime, found.sub.failures = current.sub.runtime, current.sub.failures
        self._store(found)

    def delete(self, sub_id: str) -> None:
        self.get(sub_id)
        del self.subscriptions[sub_id]
        self.repository.delete_csource_subscription(sub_id)

    def _store(self, found: CSourceSubscription) -> None:
        self.subscriptions[found.sub.id] = found
        self.save(found.sub)

    # --- the notifier's owner protocol ----------------------------------------------------

    def current(self, sub_id: str) -> Subscription | None:
        found = self.subscriptions.get(sub_id)
        return found.sub if found is not None else None

    def save(self, sub: Subscription) -> None:
        # The notifier may hold the version before a PATCH (which shares its delivery state):
        # keep the current one, never write the old one back.
        current = self.current(sub.id)
        if current is not None:
            body = {**current.view(), "@context": current.context}
            self.repository.save_csource_subscription(current.id, body)

    # --- notifications --------------------------------------------------------------------

    def on_change(self, change: RegistrationChange) -> None:
        """Registry listener: notify subscriptions (without timeInterval) the change concerns."""
        for found in list(self.subscriptions.values()):
            if found.interval_s is not None or not found.sub.active:
                continue
            before = change.before is not None and found.matches(change.before)
            after = change.after is not None and found.matches(change.after)
            if after and change.after is not None:
                self._notify(found, [change.after], "updated" if before else "newlyMatching")
            elif before and change.before is not None:
                self._notify(found, [change.after or change.before], "noLongerMatching")

    def body(self, found: CSourceSubscription, regs: Sequence[Registration], reason: str) -> Json:
        terms = self.contexts.terms(found.sub.context)
        notification = found.sub.body["notification"]
        sys_attrs = notification.get("sysAttrs") is True
        body: Json = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": NOTIFICATION,
            "subscriptionId": found.sub.id,
            "notifiedAt": iso(now()),
            "triggerReason": reason,
            "data": [render_registration(r, terms, sys_attrs) for r in regs],
        }
        endpoint = notification.get("endpoint", {})
        if endpoint.get("accept") == "application/ld+json":
            # JSON-LD receivers read the names against the subscription's @context (5.3.2).
            body["@context"] = found.sub.context if found.sub.context is not None else CORE_CONTEXT
        return body

    def _notify(
        self, found: CSourceSubscription, regs: Sequence[Registration], reason: str
    ) -> None:
        self.notifier.send(found.sub.id, self.body(found, regs, reason), self)

    def _expire(self) -> None:
        """A registration reaching its expiresAt stops matching: noLongerMatching, once."""
        for reg in list(self.registry.registrations.values()):
            if reg.expired and reg.id not in self._expired:
                self._expired.add(reg.id)
                self.on_change(RegistrationChange(replace(reg, expires=None), reg))
            elif not reg.expired:
                self._expired.discard(reg.id)

    async def run(self, stopping: asyncio.Event) -> None:
        """Periodic notifications of subscriptions with a timeInterval and of registrations
        that expire, until `stopping`."""
        self._expired = {r.id for r in self.registry.registrations.values() if r.expired}
        while not stopping.is_set():
            self._expire()
            clock = time.monotonic()
            for found in list(self.subscriptions.values()):
                due = (
                    found.interval_s is not None and clock - found.last_periodic >= found.interval_s
                )
                if due and found.sub.active:
                    found.last_periodic = clock
                    # Sent even when nothing matches: the receiver learns the set is empty.
                    regs = [r for r in self.registry.query(RegistrationQuery()) if found.matches(r)]
                    self._notify(found, regs, "newlyMatching")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 0.5)
