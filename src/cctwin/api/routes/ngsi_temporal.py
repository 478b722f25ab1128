"""/ngsi-ld/v1/temporal/entities: temporal evolution of entities (CIM 009 5.6.11, 5.7.3-5.7.4),
shared with registered context sources (4.3.6: upsertTemporal, retrieveTemporal,
queryTemporal; deleteTemporal is the entity route's).

Sources are asked as entity reads are (cctwin.ngsi.federation), with the request's shape
(temporalValues, aggregations, time filter) and no page; bodies merge by id per the
registration's mode, and the page is cut from the merged ids.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cctwin.api.routes.ngsi import (
    Ctx,
    asked_of,
    attrs_of,
    entity_query,
    in_thread,
    location_of,
    ngsi_service,
    page_of,
    read_body,
)
from cctwin.api.routes.ngsi_forwarded import Write, distributed
from cctwin.api.routes.ngsi_headers import page_headers
from cctwin.ngsi.broker import EntityQuery
from cctwin.ngsi.entities import Entity
from cctwin.ngsi.federation import SuppliedBody, merge_bodies, wants_sources
from cctwin.ngsi.nulls import refuse_member_nulls
from cctwin.ngsi.problems import NgsiError, Problem, not_found
from cctwin.ngsi.registration_query import RegistrationQuery
from cctwin.ngsi.selection import check_projection
from cctwin.ngsi.service import NgsiService
from cctwin.ngsi.temporal_view import check_params, projected, temporal_entity

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
PATH = "/ngsi-ld/v1/temporal/entities"


@router.post("/temporal/entities")
@router.post("/temporal/entities/", include_in_schema=False)
async def create_temporal(request: Request) -> Response:
    body, context = await read_body(request)
    refuse_member_nulls(body)
    ctx = Ctx(request, context)
    service = ngsi_service(request)

    async def local(kept: Any) -> Response:
        if not await in_thread(service.temporal.upsert, kept, ctx.terms):
            return Response(status_code=204)
        location = location_of("temporal/entities", str(kept["id"]))
        return Response(status_code=201, headers={"Location": location})

    entity_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(entity_id, str) or not entity_id:
        return await local(body)  # the broker says what is wrong with it
    # Only sources took it: whether they created or added to it is theirs to say (204).
    write = Write("upsertTemporal", entity_id, body)
    return await distributed(request, service, ctx.terms, write, local)


@router.get("/temporal/entities")
@router.get("/temporal/entities/", include_in_schema=False)
async def query_temporal(request: Request) -> Response:
    ctx = Ctx(request)
    query = entity_query(ctx)
    limit, offset = page_of(request.query_params.get("limit"), request.query_params.get("offset"))
    check_params(request.query_params)
    check_projection(request.query_params)
    service = ngsi_service(request)
    found = await in_thread(service.broker.query, query)
    remote: list[SuppliedBody] = []
    if wants_sources(request.query_params.get("local"), service.federation):
        wanted = RegistrationQuery(
            types=frozenset(query.types) if query.types else None,
            ids=frozenset(query.ids) if query.ids else None,
            id_pattern=query.id_pattern,
            attrs=query.attrs,
            open_ids=True,
        )
        args = (PATH, wanted, "queryTemporal", asked_of(ctx))
        remote = await in_thread(service.federation.temporal, *args)
    ids = sorted({e.id for e in found} | {str(b.body["id"]) for b in remote})
    page = set(ids[offset : offset + limit])
    bodies = [await _local_body(service, ctx, e, query) for e in found if e.id in page]
    merged = merge_bodies(bodies, [b for b in remote if b.body["id"] in page], ctx.terms)
    headers = page_headers(request, len(ids), limit, offset)
    params = request.query_params
    return ctx.answer([projected(b, params, ctx.terms) for b in merged], 200, headers)


async def _local_body(
    service: NgsiService, ctx: Ctx, entity: Entity, query: EntityQuery
) -> dict[str, Any]:
    params = dict(ctx.request.query_params)
    repository = service.broker.repository
    return await in_thread(temporal_entity, repository, entity, ctx.terms, query.attrs, params)


@router.get("/temporal/entities/{entity_id:path}")
async def retrieve_temporal(entity_id: str, request: Request) -> Response:
    ctx = Ctx(request)
    check_params(request.query_params)
    check_projection(request.query_params)
    service = ngsi_service(request)
    try:
        entity: Entity | None = await in_thread(service.broker.retrieve, entity_id)
    except NgsiError as error:
        if error.problem is not Problem.RESOURCE_NOT_FOUND:
            raise
        entity = None
    query = EntityQuery(ids=[entity_id], attrs=attrs_of(ctx))
    local = [await _local_body(service, ctx, entity, query)] if entity is not None else []
    if not wants_sources(request.query_params.get("local"), service.federation):
        if entity is None:
            raise not_found(f"no entity {entity_id}")
        return ctx.answer(projected(local[0], request.query_params, ctx.terms))
    types = frozenset(entity.types) if entity is not None else None
    wanted = RegistrationQuery(types=types, ids=frozenset({entity_id}), open_ids=True)
    path = location_of("temporal/entities", entity_id)
    args = (path, wanted, "retrieveTemporal", asked_of(ctx))
    remote = await in_thread(service.federation.temporal, *args)
    merged = merge_bodies(local, [b for b in remote if b.body["id"] == entity_id], ctx.terms)
    if not merged:
        raise not_found(f"no entity {entity_id}")
    return ctx.answer(projected(merged[0], request.query_params, ctx.terms))
