"""/ngsi-ld/v1/entityOperations: batch create, upsert, update, merge, delete and query
(CIM 009 5.6.7-5.6.10, 5.7.2), shared with registered context sources (4.3.6).

Each entity of a batch is split by registration as a single write would be
(cctwin.ngsi.forwarding); each source gets one batch of its parts, this broker does the rest,
and the answers are combined into one BatchOperationResult (errors of a source name its
registrationId). A POST query is sent as it came to the sources serving queryBatch.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from cctwin.api.routes.ngsi import (
    Ctx,
    asked_of,
    flag,
    in_thread,
    ngsi_service,
    page_of,
    read_body,
    view_of,
)
from cctwin.api.routes.ngsi_forwarded import members, outbound, part, wants_forwarding
from cctwin.api.routes.ngsi_headers import page_headers
from cctwin.ngsi.broker import BatchResult, EntityQuery
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import render
from cctwin.ngsi.federation import merge, wants_sources
from cctwin.ngsi.forwarding import Outbound, Outcome, Share, refusal
from cctwin.ngsi.nulls import refuse_nulls
from cctwin.ngsi.problems import NgsiError, Problem, bad_data
from cctwin.ngsi.query import parse_geo_body, parse_q
from cctwin.ngsi.registrations import Registration
from cctwin.ngsi.scopes import parse_scope_q
from cctwin.ngsi.service import NgsiService

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
OPERATIONS = ("create", "upsert", "update", "merge", "delete")


@router.post("/entityOperations/query")
async def batch_query(request: Request) -> Response:
    """POST query (clause 5.7.2 as a body): entities, attrs, q, geoQ of a `Query`."""
    body, context = await read_body(request)
    ctx = Ctx(request, context, geo=True)
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise bad_data("the body must be a Query object")
    query = query_of(body, ctx)
    limit, offset = page_of(request.query_params.get("limit"), request.query_params.get("offset"))
    service = ngsi_service(request)
    found = await in_thread(service.broker.query, query)
    if wants_sources(request.query_params.get("local"), service.federation):
        asked = asked_of(ctx)
        remote = await in_thread(service.federation.query_batch, query, body, asked)
        found = merge(found, remote)
    headers = page_headers(request, len(found), limit, offset)
    view = view_of(ctx, query.attrs)
    return ctx.answer([render(e, view) for e in found[offset : offset + limit]], 200, headers)


def query_of(body: dict[str, Any], ctx: Ctx) -> EntityQuery:
    selectors = body.get("entities") or []
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        raise bad_data("entities must be a list of objects")
    types = [ctx.terms.expand(str(s["type"])) for s in selectors if "type" in s]
    ids = [str(s["id"]) for s in selectors if "id" in s]
    patterns = [str(s["idPattern"]) for s in selectors if "idPattern" in s]
    attrs = body.get("attrs")
    geo = body.get("geoQ")
    try:
        pattern = re.compile(patterns[0]) if patterns else None
    except re.error as error:
        raise bad_data(f"bad idPattern: {error}") from error
    return EntityQuery(
        types=types or None,
        ids=ids or None,
        id_pattern=pattern,
        attrs=frozenset(ctx.terms.expand(a) for a in attrs) if isinstance(attrs, list) else None,
        q=parse_q(body["q"], ctx.terms) if isinstance(body.get("q"), str) else None,
        geo=parse_geo_body(geo, ctx.terms),
        scope=parse_scope_q(body["scopeQ"]) if isinstance(body.get("scopeQ"), str) else None,
    )


@router.post("/entityOperations/{operation}")
async def batch(operation: str, request: Request) -> Response:
    if operation not in OPERATIONS:
        raise NgsiError(Problem.OPERATION_NOT_SUPPORTED, f"no batch operation {operation!r}")
    body, context = await read_body(request)
    if isinstance(body, list) and (not body or any(item is None for item in body)):
        # 5.6.7.4-5.6.10.4: the whole batch is refused, nothing is done.
        raise bad_data("a batch is a non-empty array without null items")
    if operation == "create" and isinstance(body, list):
        for item in body:
            refuse_nulls(item)
    ctx = Ctx(request, context)
    service = ngsi_service(request)
    if not wants_forwarding(request, service) or not isinstance(body, list):
        replace = operation == "upsert" and not flag(request, "update")
        result = await in_thread(service.broker.batch, operation, body, ctx.terms, replace)
        return answer(operation, _outcome(result))
    return await _distributed(request, service, ctx.terms, operation, body)


class Tally:
    """A batch's combined outcome: ids done, ids created, errors (BatchEntityError)."""

    def __init__(self) -> None:
        self.success: list[str] = []
        self.created: list[str] = []
        self.errors: list[dict[str, Any]] = []

    def done(self, ids: list[str]) -> None:
        self.success += [i for i in ids if i not in self.success]


def _outcome(result: BatchResult) -> Tally:
    tally = Tally()
    tally.done(result.success)
    tally.created = list(result.created)
    tally.errors = [{"entityId": i, "error": e.body()} for i, e in result.errors]
    return tally


def answer(operation: str, tally: Tally) -> Response:
    """The batch answer: 201 with the ids created, 204, or 207 with success and errors."""
    if tally.errors:
        return JSONResponse({"success": tally.success, "errors": tally.errors}, 207)
    if operation == "create":
        return JSONResponse(tally.success, 201)
    if operation == "upsert" and tally.created:
        return JSONResponse(tally.created, 201)  # 201 with the ids it created; 204 if none
    return Response(status_code=204)


async def _distributed(
    request: Request, service: NgsiService, terms: TermMap, operation: str, items: list[Any]
) -> Response:
    via = request.headers.get("via")
    kept: list[Any] = []
    parts: dict[str, list[Any]] = defaultdict(list)
    regs: dict[str, Registration] = {}
    refused: list[tuple[Outcome, str]] = []
    for item in items:
        # A delete lists ids; the other operations entities.
        entity_id = item if operation == "delete" else _id_of(item)
        if not isinstance(entity_id, str):
            kept.append(item)  # the broker reports what is wrong with it
            continue
        types = _types_of(service, item, terms)
        attrs = None if operation == "delete" else members(item, terms)
        split = service.forwarder.split(entity_id, types, attrs, f"{operation}Batch", via)
        if split.local:
            kept.append(part(item, split.kept, terms))
        for share in split.shares:
            regs[share.reg.id] = share.reg
            parts[share.reg.id].append(part(item, share.attrs, terms))
        refused += [(refusal(s, f"{operation}Batch"), entity_id) for s in split.refused]
    tally = Tally()
    if kept:
        replace = operation == "upsert" and not flag(request, "update")
        result = await in_thread(service.broker.batch, operation, kept, terms, replace)
        tally = _outcome(result)
    sent = [(Share(regs[r], None), outbound(request, body)) for r, body in parts.items()]
    outcomes = await asyncio.to_thread(_send, service, sent, via)
    for o, (_, request_sent) in zip(outcomes, sent, strict=True):
        _count(tally, o, request_sent)
    for o, entity_id in refused:
        tally.errors.append(
            {"entityId": entity_id, "registrationId": o.share.reg.id, "error": o.problem()}
        )
    return answer(operation, tally)


def _id_of(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def _types_of(service: NgsiService, item: Any, terms: TermMap) -> list[str] | None:
    if isinstance(item, dict) and item.get("type"):
        raw = item["type"]
        return [terms.expand(str(t)) for t in (raw if isinstance(raw, list) else [raw])]
    held = service.broker.cached(str(item))
    return list(held.types) if held is not None else None


def _send(
    service: NgsiService, sent: list[tuple[Share, Outbound]], via: str | None
) -> list[Outcome]:
    return [service.forwarder.send(share, request, via) for share, request in sent]


def _count(tally: Tally, o: Outcome, sent: Outbound) -> None:
    """Add a source's answer to a batch to the tally."""
    ids = [i if isinstance(i, str) else str(i.get("id")) for i in sent.body or []]
    if o.ok:
        tally.done(ids)
        if o.status == 201 and isinstance(o.body, list):
            tally.created += [i for i in o.body if isinstance(i, str) and i not in tally.created]
        return
    if o.status == 207 and isinstance(o.body, dict):
        tally.done([i for i in o.body.get("success", []) if isinstance(i, str)])
        for error in o.body.get("errors", []):
            if isinstance(error, dict):
                tally.errors.append({**error, "registrationId": o.share.reg.id})
        return
    problem = o.problem()
    for entity_id in ids:
        tally.errors.append(
            {"entityId": entity_id, "registrationId": o.share.reg.id, "error": problem}
        )
