"""An NGSI-LD Subscription (CIM 009 5.2.12): its members checked, compiled and matched."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cctwin.ngsi.broker import Change
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import Entity, Json, check_uri, now, parse_time
from cctwin.ngsi.notifications import (
    DEFAULT_TRIGGERS,
    Shape,
    check_triggers,
    fired,
    parse_shape,
)
from cctwin.ngsi.problems import bad_data
from cctwin.ngsi.query import GeoQuery, Predicate, parse_geo_body, parse_q
from cctwin.ngsi.scopes import parse_scope_q
from cctwin.ngsi.type_selection import TypeSelection, parse_types

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
        body = writable(body)
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


def writable(body: Mapping[str, Any]) -> dict[str, Any]:
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
