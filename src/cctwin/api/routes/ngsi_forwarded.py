"""Writes on /ngsi-ld/v1/entities shared with registered context sources (CIM 009 4.3.6).

A route hands its write here with the function that does this broker's part; the write is
split by registration (cctwin.ngsi.forwarding), each source gets its part as the same request
on its endpoint, and the answers are combined: the usual success when every part succeeded,
the one error when the only part failed, else 207 Multi-Status (an UpdateResult for attribute
operations, a BatchOperationResult-like success/errors for entity operations, each error of a
source naming its registrationId).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.forwarding import Forwarder, Outbound, Outcome, Share, Split, refusal
from cctwin.ngsi.problems import NgsiError, Problem
from cctwin.ngsi.service import NgsiService

ENTITY_MEMBERS = frozenset({"id", "type", "@context", "scope"})
ATTR_OPS = frozenset({"appendAttrs", "updateAttrs", "replaceAttrs", "deleteAttrs"})
# Request headers a forwarded request keeps (Via is set by the forwarder).
_KEPT_HEADERS = ("content-type", "link")
Local = Callable[[Any], Awaitable[Response]]
_MALFORMED = frozenset({Problem.BAD_REQUEST_DATA, Problem.INVALID_REQUEST})


@dataclass(frozen=True)
class Write:
    """One write on one entity as a route received it."""

    operation: str  # its name in CIM 009 4.20 (createEntity, appendAttrs...)
    entity_id: str
    body: Any = None  # the JSON body, None when the request has none
    attr: str | None = None  # the one attribute of /attrs/{attr}, as named in the path
    location: str | None = None  # a create's Location, when only sources create it


def members(body: Any, terms: TermMap) -> frozenset[str] | None:
    """The attribute names (expanded) of an entity or fragment body."""
    if not isinstance(body, dict):
        return None
    return frozenset(terms.expand(k) for k in body if k not in ENTITY_MEMBERS)


def part(body: Any, attrs: frozenset[str] | None, terms: TermMap) -> Any:
    """The body with only `attrs` (None: all) of its attributes."""
    if attrs is None or not isinstance(body, dict):
        return body
    return {k: v for k, v in body.items() if k in ENTITY_MEMBERS or terms.expand(k) in attrs}


def wants_forwarding(request: Request, service: NgsiService) -> bool:
    return request.query_params.get("local") != "true" and service.forwarder.active()


async def distributed(
    request: Request, service: NgsiService, terms: TermMap, write: Write, local: Local
) -> Response:
    """Do `write` here (via `local`, given the body this broker keeps) and at its sources."""
    if not wants_forwarding(request, service):
        return await local(write.body)
    types = await _types(service, write, terms)
    attrs = frozenset({terms.expand(write.attr)}) if write.attr else None
    if attrs is None and write.operation not in ("deleteEntity", "deleteTemporal"):
        attrs = members(write.body, terms)
    via = request.headers.get("via")
    split = service.forwarder.split(write.entity_id, types, attrs, write.operation, via)
    if not split.shares and not split.refused:
        return await local(write.body)
    # The body of /attrs/{attr} is one attribute: it goes whole to whoever gets that attribute.
    whole = write.attr is not None
    done: Response | None = None
    error: NgsiError | None = None
    if split.local:
        try:
            done = await local(write.body if whole else part(write.body, split.kept, terms))
        except NgsiError as failure:
            if failure.problem in _MALFORMED:
                raise  # a request this broker finds malformed is sent nowhere
            error = failure
    sent = [
        (s, outbound(request, write.body if whole else part(write.body, s.attrs, terms)))
        for s in split.shares
    ]
    outcomes = await _send_all(service.forwarder, sent, via)
    outcomes += [refusal(s, write.operation) for s in split.refused]
    return _combine(terms, write, split, (done, error), outcomes)


async def _types(service: NgsiService, write: Write, terms: TermMap) -> list[str] | None:
    """The entity's types: from a create's body, else as held here (None: unknown)."""
    if write.operation in ("createEntity", "upsertTemporal") and isinstance(write.body, dict):
        raw = write.body.get("type")
        names = raw if isinstance(raw, list) else [raw]
        return [terms.expand(str(n)) for n in names if n]
    try:
        return list((await asyncio.to_thread(service.broker.retrieve, write.entity_id)).types)
    except NgsiError:
        return None


def outbound(request: Request, body: Any, path: str | None = None) -> Outbound:
    """The request as it goes to a source: same method, path, parameters and @context."""
    raw = request.scope.get("raw_path")
    here = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    params = {k: v for k, v in request.query_params.items() if k != "local"}
    headers = {k: v for k in _KEPT_HEADERS if (v := request.headers.get(k))}
    if body is None:
        headers.pop("content-type", None)
    return Outbound(request.method, path or here, body, params, headers)


async def _send_all(
    forwarder: Forwarder, sent: Sequence[tuple[Share, Outbound]], via: str | None
) -> list[Outcome]:
    def send() -> list[Outcome]:
        return [forwarder.send(share, request, via) for share, request in sent]

    return await asyncio.to_thread(send)


def _combine(
    terms: TermMap,
    write: Write,
    split: Split,
    here: tuple[Response | None, NgsiError | None],
    outcomes: Sequence[Outcome],
) -> Response:
    done, error = here
    failures = [o for o in outcomes if not o.ok]
    if error is None and not failures:
        return done if done is not None else _success(write)
    if len(outcomes) + (1 if split.local else 0) == 1:
        if error is not None:
            raise error
        problem = failures[0].problem()
        return JSONResponse(problem, int(problem["status"]), media_type="application/json")
    if write.operation in ATTR_OPS:
        return _update_result(terms, split, here, outcomes)
    success = bool(done) or any(o.ok for o in outcomes)
    errors: list[dict[str, Any]] = []
    if error is not None:
        errors.append({"entityId": write.entity_id, "error": error.body()})
    for o in failures:
        errors.append(
            {"entityId": write.entity_id, "registrationId": o.share.reg.id, "error": o.problem()}
        )
    body = {"success": [write.entity_id] if success else [], "errors": errors}
    return JSONResponse(body, 207)


def _update_result(
    terms: TermMap,
    split: Split,
    here: tuple[Response | None, NgsiError | None],
    outcomes: Sequence[Outcome],
) -> Response:
    """UpdateResult (5.2.18): attributes updated, and why others were not."""
    done, error = here
    updated: list[str] = []
    not_updated: list[dict[str, Any]] = []
    kept = sorted(terms.compact(n) for n in split.kept or ())
    if done is not None and done.status_code == 207:
        answer = orjson.loads(bytes(done.body))
        updated += answer.get("updated", [])
        not_updated += answer.get("notUpdated", [])
    elif done is not None:
        updated += kept
    elif error is not None:
        not_updated += [{"attributeName": n, "reason": error.detail} for n in kept]
    for o in outcomes:
        names = sorted(terms.compact(n) for n in o.share.attrs or ())
        if o.ok:
            updated += names
            continue
        if o.status == 207 and isinstance(o.body, dict):  # the source's own UpdateResult
            updated += [str(n) for n in o.body.get("updated", [])]
            not_updated += [
                {**n, "registrationId": o.share.reg.id}
                for n in o.body.get("notUpdated", [])
                if isinstance(n, dict)
            ]
            continue
        reason = str(o.problem().get("detail") or o.problem().get("title"))
        not_updated += [
            {"attributeName": n, "reason": reason, "registrationId": o.share.reg.id} for n in names
        ]
    body = {"updated": list(dict.fromkeys(updated)), "notUpdated": not_updated}
    return JSONResponse(body, 207)


def _success(write: Write) -> Response:
    """The answer when every source did its part and nothing was done here."""
    if write.location is not None:
        return Response(status_code=201, headers={"Location": write.location})
    return Response(status_code=204)
