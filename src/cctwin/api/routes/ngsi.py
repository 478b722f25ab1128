"""/ngsi-ld/v1: the NGSI-LD API (ETSI GS CIM 009 V1.8.1) over the broker in cctwin.ngsi."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cctwin.api.methods import allowed_methods
from cctwin.api.routes.ngsi_bodies import LD_JSON
from cctwin.api.routes.ngsi_bodies import read_body as read_body  # for the other route modules
from cctwin.api.routes.ngsi_forwarded import Write, distributed
from cctwin.api.routes.ngsi_headers import TenantEcho, page_headers
from cctwin.api.routes.ngsi_preconditions import Preconditions, negotiate
from cctwin.ngsi.broker import SYSTEM_IRIS, BatchResult, EntityQuery
from cctwin.ngsi.context import CORE_CONTEXT, LdContext, TermMap, link_context, link_header
from cctwin.ngsi.entities import Entity, View, feature, render
from cctwin.ngsi.federation import (
    Asked,
    merge,
    retrieve_merged,
    splitting,
    unfiltered,
    wants_sources,
)
from cctwin.ngsi.fragments import UpdateResult
from cctwin.ngsi.nulls import refuse_nulls
from cctwin.ngsi.problems import NgsiError, Problem, bad_data
from cctwin.ngsi.query import parse_geo, parse_q, q_names
from cctwin.ngsi.scopes import parse_scope_q
from cctwin.ngsi.selection import check_projection, check_type
from cctwin.ngsi.service import NgsiService
from cctwin.ngsi.tenants import HEADER as TENANT_HEADER
from cctwin.ngsi.tenants import Tenants
from cctwin.ngsi.via import HEADER as VIA
from cctwin.ngsi.via import check_loop

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
GEO_JSON = "application/geo+json"
T = TypeVar("T")


def problem_response(error: NgsiError) -> JSONResponse:
    return JSONResponse(error.body(), error.problem.status, media_type="application/json")


# Requests that may create their tenant (ETSI GS CIM 009 4.14): creating entities, batch
# operations, temporal entities and subscriptions. Anything else in an unknown tenant is 404.
_CREATES = frozenset({"POST"})


def ngsi_service(request: Request) -> NgsiService:
    """The service of the request's NGSILD-Tenant (the default tenant without the header)."""
    tenants: Tenants = request.app.state.services.ngsi_tenants
    tenant = request.headers.get(TENANT_HEADER)
    service = tenants.get(tenant, create=request.method in _CREATES)
    check_loop(request.headers.get(VIA), service.federation.name)  # 6.3.18: 508 on a loop
    return service


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(fn, *args)


class Ctx:
    """The @context of one request and how its answer is shaped."""

    def __init__(self, request: Request, body_context: LdContext = None, geo: bool = False) -> None:
        self.request = request
        link = link_context(request.headers.get("link"))
        self.context: LdContext = body_context if body_context is not None else link
        # Only retrieving and querying entities offer GeoJSON (CIM 009 6.3.15).
        chosen = negotiate(request.headers.get("accept"), geo)
        self.ld = chosen == LD_JSON
        self.geo = chosen == GEO_JSON
        self.terms: TermMap = ngsi_service(request).contexts.terms(self.context)

    def answer(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        out = dict(headers or {})
        context = self.context if self.context is not None else CORE_CONTEXT
        if self.geo and isinstance(body, (dict, list)):
            geo_name = self.request.query_params.get("geometryProperty", "location")
            if isinstance(body, dict):
                body = feature(body, geo_name)
            else:
                body = {
                    "type": "FeatureCollection",
                    "features": [feature(b, geo_name) for b in body],
                }
            # 6.3.6: a GeoJSON body carries its @context unless the client prefers plain
            # JSON (`Prefer: body=json`); the Link header names it either way.
            if "body=json" not in self.request.headers.get("prefer", "").replace(" ", ""):
                body["@context"] = context
            if isinstance(context, str):
                _add_link(out, link_header(context))
            return Response(orjson.dumps(body), status, out, media_type=GEO_JSON)
        if self.ld:
            if isinstance(body, dict):
                body = {**body, "@context": context}
            elif isinstance(body, list):
                body = [{**b, "@context": context} for b in body]
        elif isinstance(context, str):
            _add_link(out, link_header(context))
        media = LD_JSON if self.ld else "application/json"
        return Response(orjson.dumps(body), status, out, media_type=media)


def location_of(collection: str, resource_id: str) -> str:
    # Ids are URIs, but may hold characters a header cannot carry: percent-encode those.
    return f"{router.prefix}/{collection}/{quote(resource_id, safe=':/@!$&*+,;=~-._')}"


def _add_link(headers: dict[str, str], link: str) -> None:
    # One Link header may carry the @context and the pagination links together.
    headers["Link"] = f"{link}, {headers['Link']}" if "Link" in headers else link


def flag(request: Request, option: str) -> bool:
    options = request.query_params.get("options", "")
    return option in options.split(",")


_FORMATS = ("normalized", "concise", "simplified", "keyValues")


def view_of(ctx: Ctx, attrs: frozenset[str] | None = None) -> View:
    request = ctx.request
    check_projection(request.query_params)
    if "geometryProperty" in request.query_params and not ctx.geo:
        raise bad_data("geometryProperty asks for GeoJSON: Accept: application/geo+json")
    shape = request.query_params.get("format")
    if shape is not None and shape not in _FORMATS:
        raise bad_data(f"format is one of {', '.join(_FORMATS)}, not {shape!r}")
    simple = shape in ("simplified", "keyValues") or (
        shape is None and (flag(request, "keyValues") or flag(request, "simplified"))
    )
    return View(
        ctx.terms,
        key_values=simple,
        sys_attrs=flag(request, "sysAttrs"),
        attrs=attrs,
        concise=shape == "concise" or (shape is None and not simple and flag(request, "concise")),
        pick=_members(ctx, "pick"),
        omit=_members(ctx, "omit") or frozenset(),
        lang=request.query_params.get("lang"),
        datasets=dataset_ids(request.query_params.get("datasetId")),
    )


def dataset_ids(raw: str | None) -> frozenset[str] | None:
    """The datasetId parameter: the attribute instances to show ("@none": the default)."""
    if raw is None:
        return None
    ids = frozenset(i for i in raw.split(",") if i)
    if not ids:
        raise bad_data("datasetId needs at least one id (or @none)")
    return ids


def _members(ctx: Ctx, param: str) -> frozenset[str] | None:
    """pick/omit (V1.8 4.21): names as the answer spells them (id, type, compacted names)."""
    raw = ctx.request.query_params.get(param)
    if raw is None:
        return None
    names = [n for n in raw.split(",") if n]
    if not names:
        raise bad_data(f"{param} needs at least one name")
    return frozenset(names) | {ctx.terms.compact(ctx.terms.expand(n)) for n in names}


def attrs_of(ctx: Ctx) -> frozenset[str] | None:
    raw = ctx.request.query_params.get("attrs")
    return frozenset(ctx.terms.expand(a) for a in raw.split(",") if a) if raw else None


def _partial(result: UpdateResult | BatchResult, ctx: Ctx) -> Response:
    if isinstance(result, BatchResult):
        if not result.errors:
            return Response(status_code=204 if not result.success else 201)
        body = {
            "success": result.success,
            "errors": [{"entityId": i, "error": e.body()} for i, e in result.errors],
        }
        return JSONResponse(body, 207)
    if not result.not_updated:
        return Response(status_code=204)
    body = {
        "updated": [ctx.terms.compact(n) for n in result.updated],
        "notUpdated": [
            {"attributeName": ctx.terms.compact(n), "reason": why} for n, why in result.not_updated
        ],
    }
    return JSONResponse(body, 207)


# --- entities ----------------------------------------------------------------------------------


@router.post("/entities")
@router.post("/entities/", include_in_schema=False)
async def create_entity(request: Request) -> Response:
    body, context = await read_body(request)
    refuse_nulls(body)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        entity = await in_thread(service.broker.create, kept, ctx.terms)
        return Response(status_code=201, headers={"Location": location_of("entities", entity.id)})

    entity_id = str(body.get("id", "")) if isinstance(body, dict) else ""
    if not entity_id:
        return await local(body)  # the broker says what is wrong with it
    write = Write("createEntity", entity_id, body, location=location_of("entities", entity_id))
    return await distributed(request, service, ctx.terms, write, local)


@router.get("/entities")
# The ETSI suite (and some clients) query the collection with a trailing slash.
@router.get("/entities/", include_in_schema=False)
async def query_entities(request: Request) -> Response:
    ctx = Ctx(request, geo=True)
    params = request.query_params
    query = entity_query(ctx)
    limit, offset = page_of(params.get("limit"), params.get("offset"))
    service = ngsi_service(request)
    warnings: dict[str, str] = {}
    if wants_sources(params.get("local"), service.federation):
        asked = asked_of(ctx)
        # 5.7.2.4: split entities are filtered once merged, so no part is filtered alone.
        split = splitting(params.get("splitEntities"))
        local = await in_thread(service.broker.query, unfiltered(query) if split else query)
        found = merge(local, await in_thread(service.federation.query, query, asked))
        if split:
            found = [e for e in found if query.matches(e)]
        warnings = asked.warning_headers()
    else:
        found = await in_thread(service.broker.query, query)
    headers = page_headers(request, len(found), limit, offset) | warnings
    view = view_of(ctx, query.attrs)
    return ctx.answer([render(e, view) for e in found[offset : offset + limit]], 200, headers)


def asked_of(ctx: Ctx) -> Asked:
    headers = ctx.request.headers
    return Asked(
        ctx.request.query_params, headers.get("link"), headers.get(VIA), ctx.terms, dict(headers)
    )


def entity_query(ctx: Ctx) -> EntityQuery:
    params = ctx.request.query_params
    types = params.get("type")
    ids = params.get("id")
    pattern = params.get("idPattern")
    try:
        compiled = re.compile(pattern) if pattern else None
    except re.error as error:
        raise bad_data(f"bad idPattern: {error}") from error
    georel = params.get("georel")
    geo = None
    if georel or params.get("geometry") or params.get("coordinates"):
        if not (georel and params.get("geometry") and params.get("coordinates")):
            raise bad_data("a geo-query needs georel, geometry and coordinates")
        geo = parse_geo(
            georel,
            params["geometry"],
            params["coordinates"],
            params.get("geoproperty", "location"),
            ctx.terms,
        )
    q = params.get("q")
    scope_q = params.get("scopeQ")
    csf = params.get("csf")
    if csf is not None:
        # csf filters context sources (none here answer queries) but must still be valid.
        parse_q(csf, ctx.terms)
    others = (types, ids, pattern, geo, scope_q, params.get("attrs"))
    if q is not None and all(o is None for o in others) and q_names(q, ctx.terms) <= SYSTEM_IRIS:
        # 5.7.2.4: q qualifies a query only with at least one non-system attribute.
        raise bad_data("q testing only system attributes does not narrow a query")
    return EntityQuery(
        types=[ctx.terms.expand(t) for t in re.split(r"[,|]", types) if t] if types else None,
        ids=[i for i in ids.split(",") if i] if ids else None,
        id_pattern=compiled,
        attrs=attrs_of(ctx),
        q=parse_q(q, ctx.terms) if q is not None else None,
        geo=geo,
        scope=parse_scope_q(scope_q) if scope_q is not None else None,
        local=params.get("local") == "true",
    )


def page_of(limit: str | None, offset: str | None) -> tuple[int, int]:
    try:
        count = int(limit) if limit is not None else 20
        start = int(offset) if offset is not None else 0
    except ValueError as error:
        raise bad_data("limit and offset are integers") from error
    if count < 0 or start < 0:
        raise bad_data("limit and offset cannot be negative")
    if count > 1000:
        raise NgsiError(Problem.TOO_MANY_RESULTS, "limit is at most 1000")
    return count, start


@router.get("/entities/{entity_id:path}/attrs", include_in_schema=False)  # only a 405
async def not_allowed_attrs() -> Response:
    return Response(status_code=405, headers={"Allow": "POST, PATCH"})


@router.get("/entities/{entity_id:path}")
async def retrieve_entity(entity_id: str, request: Request) -> Response:
    ctx = Ctx(request, geo=True)
    service = ngsi_service(request)
    broker = service.broker
    if wants_sources(request.query_params.get("local"), service.federation):
        asked = asked_of(ctx)
        try:
            merged = await in_thread(retrieve_merged, broker, service.federation, entity_id, asked)
        except NgsiError as error:
            # 6.3.17: the sources that answered abnormally are named on errors too.
            answer = problem_response(error)
            answer.headers.update(asked.warning_headers())
            return answer
        view = view_of(ctx, attrs_of(ctx))
        return ctx.answer(render(merged, view), 200, asked.warning_headers())
    # The live twin is in memory: answering from it on the loop saves a thread hop.
    entity = broker.cached(entity_id)
    if entity is None:
        entity = await in_thread(broker.retrieve, entity_id)
    of_type(entity, ctx)
    return ctx.answer(render(entity, view_of(ctx, attrs_of(ctx))))


async def typed(service: NgsiService, entity_id: str, ctx: Ctx) -> None:
    """The `type` selector of an operation on one entity (4.17), checked before it writes."""
    if "type" in ctx.request.query_params:
        of_type(await in_thread(service.broker.retrieve, entity_id), ctx)


def of_type(entity: Entity, ctx: Ctx) -> None:
    check_type(entity, ctx.request.query_params.get("type"), ctx.terms)


@router.delete("/entities/{entity_id:path}/attrs/{attr}")
async def delete_attribute(entity_id: str, attr: str, request: Request) -> Response:
    ctx = Ctx(request)
    dataset_id = request.query_params.get("datasetId")
    every = request.query_params.get("deleteAll") == "true"
    service = ngsi_service(request)

    async def local(_: Any) -> Response:
        await typed(service, entity_id, ctx)
        args = (entity_id, attr, ctx.terms, dataset_id, every)
        await in_thread(service.broker.delete_attribute, *args)
        return Response(status_code=204)

    write = Write("deleteAttrs", entity_id, attr=attr)
    return await distributed(request, service, ctx.terms, write, local)


@router.patch("/entities/{entity_id:path}/attrs/{attr}")
async def patch_attribute(entity_id: str, attr: str, request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        await typed(service, entity_id, ctx)
        await in_thread(service.broker.patch_attribute, entity_id, attr, kept, ctx.terms)
        return Response(status_code=204)

    write = Write("updateAttrs", entity_id, body, attr=attr)
    return await distributed(request, service, ctx.terms, write, local)


@router.post("/entities/{entity_id:path}/attrs")
async def append_attributes(entity_id: str, request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    overwrite = not flag(request, "noOverwrite")
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        await typed(service, entity_id, ctx)
        args = (entity_id, kept, ctx.terms, overwrite)
        return _partial(await in_thread(service.broker.append, *args), ctx)

    write = Write("appendAttrs", entity_id, body)
    return await distributed(request, service, ctx.terms, write, local)


@router.patch("/entities/{entity_id:path}/attrs")
async def update_attributes(entity_id: str, request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        await typed(service, entity_id, ctx)
        return _partial(await in_thread(service.broker.update, entity_id, kept, ctx.terms), ctx)

    write = Write("updateAttrs", entity_id, body)
    return await distributed(request, service, ctx.terms, write, local)


@router.put("/entities/{entity_id:path}/attrs/{attr}")
async def replace_attribute(entity_id: str, attr: str, request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        await typed(service, entity_id, ctx)
        await in_thread(service.broker.replace_attribute, entity_id, attr, kept, ctx.terms)
        return Response(status_code=204)

    write = Write("replaceAttrs", entity_id, body, attr=attr)
    return await distributed(request, service, ctx.terms, write, local)


@router.put("/entities/{entity_id:path}")
async def replace_entity(entity_id: str, request: Request) -> Response:
    body, context = await read_body(request)
    refuse_nulls(body)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        await typed(service, entity_id, ctx)
        await in_thread(service.broker.replace, entity_id, kept, ctx.terms)
        return Response(status_code=204)

    write = Write("replaceEntity", entity_id, body)
    return await distributed(request, service, ctx.terms, write, local)


@router.patch("/entities/{entity_id:path}")
async def merge_entity(entity_id: str, request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        await typed(service, entity_id, ctx)
        await in_thread(service.broker.merge, entity_id, kept, ctx.terms)
        return Response(status_code=204)

    write = Write("mergeEntity", entity_id, body)
    return await distributed(request, service, ctx.terms, write, local)


@router.delete("/entities/{entity_id:path}")
@router.delete("/temporal/entities/{entity_id:path}")
async def delete_entity(entity_id: str, request: Request) -> Response:
    """One store holds an entity and its history: deleting either deletes both."""
    service = ngsi_service(request)

    async def local(_: Any) -> Response:
        await typed(service, entity_id, Ctx(request))
        await in_thread(service.broker.delete, entity_id)
        return Response(status_code=204)

    temporal = request.url.path.startswith(router.prefix + "/temporal/")
    write = Write("deleteTemporal" if temporal else "deleteEntity", entity_id)
    return await distributed(request, service, Ctx(request).terms, write, local)


async def _problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, NgsiError)
    return problem_response(error)


async def _http_problem(request: Request, error: Exception) -> Response:
    # Routing errors (no such path, method not allowed) under /ngsi-ld/ are problem details
    # too; everywhere else FastAPI answers as it always does.
    assert isinstance(error, StarletteHTTPException)
    if not request.url.path.startswith(router.prefix + "/"):
        return await http_exception_handler(request, error)
    problem = Problem.RESOURCE_NOT_FOUND if error.status_code == 404 else Problem.INVALID_REQUEST
    body = {"type": problem.uri, "title": problem.value, "status": error.status_code}
    body["detail"] = str(error.detail)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        # The document's methods for the path: routes with {id:path} each know only theirs.
        headers["Allow"] = ", ".join(allowed_methods(request.scope)) or headers.get("Allow", "")
    return JSONResponse(body, error.status_code, headers=headers)


def install(app: FastAPI) -> None:
    """Mount /ngsi-ld/v1 and answer its errors as NGSI-LD problem details."""
    # Imported here: that module builds on this one's helpers.
    from cctwin.api.routes import (
        ngsi_batch,
        ngsi_contexts,
        ngsi_discovery,
        ngsi_document,
        ngsi_identity,
        ngsi_registrations,
        ngsi_subscriptions,
        ngsi_temporal,
        ngsi_temporal_ops,
    )

    ngsi_document.install_document(app)
    app.add_middleware(TenantEcho)
    app.add_middleware(Preconditions)
    app.include_router(ngsi_temporal_ops.router)  # before {entity_id:path} routes
    app.include_router(router)
    app.include_router(ngsi_batch.router)
    app.include_router(ngsi_temporal.router)
    app.include_router(ngsi_subscriptions.router)
    app.include_router(ngsi_discovery.router)
    app.include_router(ngsi_registrations.router)
    app.include_router(ngsi_contexts.router)
    app.include_router(ngsi_identity.router)
    app.add_exception_handler(NgsiError, _problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
