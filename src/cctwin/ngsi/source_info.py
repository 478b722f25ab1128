"""A registration's contextSourceInfo on the requests sent to its source (4.3.6.5, 4.3.6.6).

Pairs travel as HTTP headers; `urn:ngsi-ld:request` takes the triggering request's value.
Three keys are processed rather than sent (V1.9 4.3.6.6): `accept` (the Accept of the
forwarded request), `contentType` (`application/ld+json`: the @context inline in the body;
`application/json`: in a Link header) and `jsonldContext` (the body's attribute names and
types compacted with that @context instead, sent as application/json with a Link to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cctwin.ngsi.context import CORE_CONTEXT, ContextStore, link_context, link_header
from cctwin.ngsi.registrations import Registration

JSON = "application/json"
LD_JSON = "application/ld+json"
FROM_REQUEST = "urn:ngsi-ld:request"
PROCESSED = frozenset({"accept", "contentType", "jsonldContext"})
# Headers contextSourceInfo cannot set (4.3.6.5): the tenant comes from the registration's
# `tenant` only, and the binding's own interaction headers are the broker's.
_BINDING = frozenset(
    {
        "ngsild-tenant", "via", "content-length", "content-type", "accept", "link", "host",
        "connection", "transfer-encoding",
    }
)  # fmt: skip
_KEYS = frozenset({"id", "type", "@context", "scope"})


def _pairs(reg: Registration) -> dict[str, str]:
    return {str(p["key"]): str(p["value"]) for p in reg.body.get("contextSourceInfo", [])}


def source_info(reg: Registration, incoming: Mapping[str, str]) -> dict[str, str]:
    """The registration's contextSourceInfo as headers: `urn:ngsi-ld:request` takes the
    value the triggering request had for that key (nothing if it had none)."""
    out: dict[str, str] = {}
    lowered = {k.lower(): v for k, v in incoming.items()}
    for key, value in _pairs(reg).items():
        if key in PROCESSED or key.lower() in _BINDING:
            continue
        if value == FROM_REQUEST:
            if key.lower() not in lowered:
                continue
            value = lowered[key.lower()]
        out[key] = value
    return out


def accept(reg: Registration) -> str:
    """The representation the source is asked to answer in (4.3.6.6 `accept`)."""
    wanted = _pairs(reg).get("accept")
    return wanted if wanted in (JSON, LD_JSON) else JSON


@dataclass(frozen=True)
class Payload:
    """A write's body and the headers that say how its @context travels."""

    body: Any
    headers: dict[str, str]


def payload(
    reg: Registration, body: Any, headers: Mapping[str, str], contexts: ContextStore
) -> Payload:
    """The body of a forwarded write as the registration wants it (4.3.6.6)."""
    out = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "link")}
    if not isinstance(body, dict):
        return Payload(body, {**out, **_plain(headers)})
    pairs = _pairs(reg)
    context = body.get("@context")
    if context is None:
        context = link_context(headers.get("link") or headers.get("Link")) or CORE_CONTEXT
    registered = pairs.get("jsonldContext")
    if registered:
        plain = {k: v for k, v in body.items() if k != "@context"}
        source, target = contexts.terms(context), contexts.terms(registered)
        names = {k: k if k in _KEYS else target.compact(source.expand(k)) for k in plain}
        shown = {names[k]: v for k, v in plain.items()}
        if "type" in plain:
            shown["type"] = _types(plain["type"], source, target)
        return Payload(shown, {**out, "Content-Type": JSON, "Link": link_header(registered)})
    if pairs.get("contentType") == LD_JSON:
        return Payload({**body, "@context": context}, {**out, "Content-Type": LD_JSON})
    if pairs.get("contentType") == JSON and isinstance(context, str):
        plain = {k: v for k, v in body.items() if k != "@context"}
        return Payload(plain, {**out, "Content-Type": JSON, "Link": link_header(context)})
    return Payload(body, {**out, **_plain(headers)})


def _plain(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in ("content-type", "link")}


def _types(raw: Any, source: Any, target: Any) -> Any:
    names = raw if isinstance(raw, list) else [raw]
    compacted = [target.compact(source.expand(str(n))) for n in names]
    return compacted if isinstance(raw, list) else compacted[0]
