"""NGSI-LD notifications (CIM 009 V1.8.1 clauses 5.2.14, 5.3.1, 5.8.6): which changes fire a
subscription (`notificationTrigger`), and the body and headers of what is sent.

A notification's data is rendered like a query answer: `format` (normalized, keyValues,
concise), `attributes`, `sysAttrs` and `lang` of the subscription. Deleted attributes (and the
attributes of a deleted entity) are shown with the NGSI-LD Null value. As JSON the @context
travels in a `Link` header, as JSON-LD in the body; `receiverInfo` pairs become headers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cctwin.ngsi.broker import Change
from cctwin.ngsi.context import CORE_CONTEXT, TermMap, link_header
from cctwin.ngsi.entities import Entity, Json, View, feature, iso, now, render
from cctwin.ngsi.mqtt import SCHEMES as MQTT_SCHEMES
from cctwin.ngsi.mqtt import parse_endpoint
from cctwin.ngsi.problems import bad_data

TRIGGERS = frozenset(
    {
        "entityCreated",
        "entityUpdated",
        "entityDeleted",
        "attributeCreated",
        "attributeUpdated",
        "attributeDeleted",
    }
)
DEFAULT_TRIGGERS = frozenset({"attributeCreated", "attributeUpdated"})
NULL = "urn:ngsi-ld:null"
FORMATS = ("normalized", "keyValues", "concise", "simplified")
ACCEPTS = ("application/json", "application/ld+json", "application/geo+json")


@dataclass(frozen=True)
class Notified:
    """One entity of a notification: what it is now, and what was deleted from it."""

    entity: Entity
    nulled: frozenset[str] = frozenset()  # deleted attributes (expanded names)
    deleted_at: datetime | None = None  # the whole entity was deleted
    # The values changed attributes had before (default instances), for showChanges.
    previous: Mapping[str, Json] = field(default_factory=dict)


@dataclass(frozen=True)
class Shape:
    """How a subscription's notifications look (its `notification` member, compiled)."""

    endpoint: str
    format: str = "normalized"
    attrs: frozenset[str] | None = None
    sys_attrs: bool = False
    lang: str | None = None
    accept: str = "application/json"
    receiver: Mapping[str, str] = field(default_factory=dict)
    notifier: Mapping[str, str] = field(default_factory=dict)  # notifierInfo (MQTT settings)
    show_changes: bool = False  # previousValue (previousObject...) of changed attributes
    context: Any = None  # the @context data is compacted with (request or jsonldContext)
    context_url: str | None = None  # the dereferenceable URL of that @context, if any
    datasets: frozenset[str] | None = None  # datasetId member: the instances to show
    # pick/omit (V1.8 4.21): members of each entity to keep or leave out, as it is shown.
    pick: frozenset[str] | None = None
    omit: frozenset[str] = frozenset()


def fired(change: Change, watched: frozenset[str] | None) -> set[str]:
    """The notification triggers a change fires (watched attributes only, when given)."""
    if change.deleted:
        return {"entityDeleted"}
    names = change.entity.names()
    if change.previous is None:
        created = names if watched is None else names & watched
        return {"entityCreated"} | ({"attributeCreated"} if created else set())
    written = change.attrs if watched is None else change.attrs & watched
    events = {"entityUpdated"} if written else set()
    for name in written:
        if name in names:
            events.add("attributeUpdated" if name in change.previous else "attributeCreated")
        elif name in change.previous:
            events.add("attributeDeleted")
    return events


def notified(change: Change) -> Notified:
    """What a matching change shows: deleted attributes and entities carry NGSI-LD Null."""
    if change.deleted:
        return Notified(change.entity, frozenset(change.entity.names()), now())
    previous = change.previous or frozenset()
    gone = frozenset(n for n in change.attrs if n in previous and n not in change.entity.names())
    prior = change.prior
    old: dict[str, Json] = {}
    if prior is not None:
        for name in change.attrs:
            before, after = prior.attrs.get(name), change.entity.attrs.get(name)
            if before is not None and after is not None and _shown(before) != _shown(after):
                old[name] = before
    return Notified(change.entity, gone, previous=old)


# The member holding an attribute's value, per kind, and its showChanges counterpart.
_PREVIOUS = {
    "Relationship": ("object", "previousObject"),
    "LanguageProperty": ("languageMap", "previousLanguageMap"),
    "JsonProperty": ("json", "previousJson"),
    "VocabProperty": ("vocab", "previousVocab"),
    "ListProperty": ("valueList", "previousValueList"),
    "ListRelationship": ("objectList", "previousObjectList"),
}


def _shown(attr: Mapping[str, Any]) -> Any:
    member = _PREVIOUS.get(str(attr.get("type")), ("value", ""))[0]
    return attr.get(member)


def parse_shape(body: Mapping[str, Any], terms: TermMap, context: Any) -> Shape:
    """The notification parameters of a subscription body (BadRequestData if malformed)."""
    notification = body.get("notification")
    if not isinstance(notification, Mapping):
        raise bad_data("a subscription needs a notification object")
    endpoint = notification.get("endpoint")
    if not isinstance(endpoint, Mapping):
        raise bad_data("notification.endpoint must be an object")
    uri = endpoint.get("uri")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://", *MQTT_SCHEMES)):
        raise bad_data("notification.endpoint.uri must be an http(s) or mqtt(s) URL")
    # notifierInfo (5.2.22 KeyValuePairs) sets MQTT's QoS and version.
    notifier = _key_values(endpoint.get("notifierInfo"), "notifierInfo")
    if uri.startswith(MQTT_SCHEMES):
        parse_endpoint(uri, notifier)
    fmt = notification.get("format", "normalized")
    if fmt not in FORMATS:
        raise bad_data(f"notification.format is one of {', '.join(FORMATS)}, not {fmt!r}")
    accept = endpoint.get("accept", "application/json")
    if accept not in ACCEPTS:
        raise bad_data(f"notification.endpoint.accept is one of {', '.join(ACCEPTS)}")
    attrs, pick, omit = _projection(notification)
    _check_rest(notification, endpoint)
    sys_attrs = notification.get("sysAttrs", False)
    show_changes = notification.get("showChanges", False)
    if not isinstance(sys_attrs, bool) or not isinstance(show_changes, bool):
        raise bad_data("notification.sysAttrs and showChanges must be booleans")
    if show_changes and fmt in ("keyValues", "simplified"):
        # Table 5.2.14-1: showChanges cannot be true with keyValues (nowhere to put them).
        raise bad_data("notification.showChanges cannot be true with format keyValues")
    lang = body.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise bad_data("lang must be a string")
    jsonld = body.get("jsonldContext")
    if jsonld is not None and not (isinstance(jsonld, str) and "://" in jsonld):
        raise bad_data("jsonldContext must be a URL")
    return Shape(
        datasets=_datasets(body.get("datasetId")),
        endpoint=uri,
        format="keyValues" if fmt == "simplified" else fmt,
        attrs=frozenset(terms.expand(a) for a in attrs) if attrs else None,
        sys_attrs=sys_attrs,
        show_changes=show_changes,
        lang=lang,
        accept=accept,
        receiver=_key_values(endpoint.get("receiverInfo"), "receiverInfo"),
        notifier=notifier,
        pick=frozenset(pick) if pick is not None else None,
        omit=frozenset(omit or ()),
        context=jsonld if jsonld is not None else context,
        context_url=jsonld if jsonld is not None else context_url(context),
    )


def _projection(
    notification: Mapping[str, Any],
) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    """notification.attributes, pick and omit (Table 5.2.14-1): non-empty lists of names;
    pick and omit exclude attributes and share no member (4.21)."""
    found: dict[str, list[str] | None] = {}
    for member in ("attributes", "pick", "omit"):
        raw = notification.get(member)
        if raw is not None and (
            not isinstance(raw, list) or not raw or not all(isinstance(a, str) and a for a in raw)
        ):
            raise bad_data(f"notification.{member} must be a non-empty list of names")
        found[member] = raw
    attrs, pick, omit = found["attributes"], found["pick"], found["omit"]
    if attrs is not None and {"id", "type", "scope"} & set(attrs):
        # attributes is pick for attributes only (Table 5.2.14-1): not id, type or scope.
        raise bad_data("notification.attributes cannot name id, type or scope")
    if attrs is not None and (pick is not None or omit is not None):
        raise bad_data("notification.attributes cannot be used with pick or omit")
    if pick is not None and omit is not None and set(pick) & set(omit):
        raise bad_data("notification.pick and omit cannot name the same member")
    return attrs, pick, omit


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP field name (RFC 9110 5.1)
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def _check_rest(notification: Mapping[str, Any], endpoint: Mapping[str, Any]) -> None:
    """The other value spaces of Tables 5.2.14-1 and 5.2.15-1: join, joinLevel, an
    endpoint's cooldown and timeout, receiverInfo pairs that can be HTTP headers (6.3.8)."""
    join = notification.get("join")
    if join is not None and join not in ("flat", "inline", "@none"):
        raise bad_data("notification.join is flat, inline or @none")
    level = notification.get("joinLevel")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 1):
        raise bad_data("notification.joinLevel is an integer of 1 or more")
    for member in ("cooldown", "timeout"):
        value = endpoint.get(member)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
        ):
            raise bad_data(f"notification.endpoint.{member} is a number greater than 0")
    for key, value in _key_values(endpoint.get("receiverInfo"), "receiverInfo").items():
        if not _TOKEN.fullmatch(key) or not _FIELD_VALUE.fullmatch(value):
            raise bad_data(f"receiverInfo {key!r} cannot be an HTTP header")


def _datasets(raw: object) -> frozenset[str] | None:
    if raw is None:
        return None
    ids = [raw] if isinstance(raw, str) else raw
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise bad_data("datasetId is a datasetId (URI or @none) or a list of them")
    return frozenset(ids)


def _key_values(raw: object, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(
        isinstance(i, Mapping) and isinstance(i.get("key"), str) and isinstance(i.get("value"), str)
        for i in raw
    ):
        raise bad_data(f"notification.endpoint.{what} is a list of {{key, value}} strings")
    return {str(i["key"]): str(i["value"]) for i in raw}


def context_url(context: Any) -> str | None:
    """The URL of a @context that is one URL (alone or in a list of one)."""
    if isinstance(context, str):
        return context
    if isinstance(context, list) and len(context) == 1 and isinstance(context[0], str):
        return context[0]
    return None


def check_triggers(raw: object) -> frozenset[str]:
    if raw is None:
        return DEFAULT_TRIGGERS
    if not isinstance(raw, list) or not raw or not set(raw) <= TRIGGERS:
        raise bad_data(f"notificationTrigger is a non-empty list of {', '.join(sorted(TRIGGERS))}")
    return frozenset(raw)


def notification_body(
    subscription_id: str, shape: Shape, terms: TermMap, items: Sequence[Notified]
) -> Json:
    """The Notification (5.3.1): id, type, subscriptionId, notifiedAt and data."""
    view = View(
        terms,
        key_values=shape.format == "keyValues",
        concise=shape.format == "concise",
        sys_attrs=shape.sys_attrs,
        attrs=shape.attrs,
        lang=shape.lang,
        datasets=shape.datasets,
        pick=shape.pick,
        omit=shape.omit,
    )
    data = [_render(item, view, shape) for item in items]
    if shape.accept == "application/geo+json":
        data = [feature(d) for d in data]
    context = shape.context if shape.context is not None else CORE_CONTEXT
    if shape.accept == "application/ld+json":
        # Each entity is a JSON-LD document, as in a query answer.
        data = [{**d, "@context": context} for d in data]
    body: Json = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": subscription_id,
        "notifiedAt": iso(now()),
        "data": data,
    }
    if shape.accept == "application/ld+json":
        body["@context"] = context
    return body


def _render(item: Notified, view: View, shape: Shape) -> Json:
    entity = item.entity
    if item.deleted_at is not None:
        entity = replace(entity, attrs={}, datasets={})
    out = render(entity, view)
    if item.deleted_at is not None:
        out["deletedAt"] = iso(item.deleted_at)
    for name in sorted(item.nulled):
        short = view.terms.compact(name)
        if shape.attrs is not None and name not in shape.attrs:
            continue
        if (shape.pick is None or short in shape.pick) and short not in shape.omit:
            out[short] = _null(view, item.deleted_at)
    if shape.show_changes:
        for name, old in item.previous.items():
            shown = out.get(view.terms.compact(name))
            if isinstance(shown, dict):
                member, previous = _PREVIOUS.get(str(old.get("type")), ("value", "previousValue"))
                shown[previous] = old.get(member)
    return out


def _null(view: View, deleted_at: datetime | None) -> Any:
    if view.key_values or view.concise:
        return NULL
    attr: Json = {"type": "Property", "value": NULL}
    if view.sys_attrs:
        attr["deletedAt"] = iso(deleted_at or now())
    return attr


def headers(shape: Shape) -> dict[str, str]:
    """HTTP headers of a notification: media type, @context Link, receiverInfo."""
    out = {**shape.receiver, "Content-Type": shape.accept}
    if shape.accept != "application/ld+json":
        out["Link"] = link_header(shape.context_url or CORE_CONTEXT)
    return out
