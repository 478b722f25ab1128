"""/ngsi-ld/v1/temporal: attribute history edits (CIM 009 6.20-6.22) and the POST query of
temporal evolutions (6.24); the edits are this broker's own (context sources are not asked).

Mounted before the entity routes: `DELETE /temporal/entities/{id:path}` would take an
attribute's path for an entity id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cctwin.api.routes.ngsi import (
    Ctx,
    in_thread,
    ngsi_service,
    page_of,
    read_body,
)
from cctwin.api.routes.ngsi_batch import query_of
from cctwin.api.routes.ngsi_headers import page_headers
from cctwin.ngsi.problems import bad_data
from cctwin.ngsi.selection import check_projection
from cctwin.ngsi.temporal_view import check_params, projected, temporal_entity

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
ATTR_PATH = "/temporal/entities/{entity_id:path}/attrs/{attr}"
INSTANCE_PATH = ATTR_PATH + "/{instance_id}"
# TemporalQuery members (5.2.21) a POST query may give; read as the GET parameters are.
_TEMPORAL_Q = ("timerel", "timeAt", "endTimeAt", "timeproperty", "lastN")


@router.post("/temporal/entities/{entity_id:path}/attrs")
async def append_history(entity_id: str, request: Request) -> Response:
    """6.20.3.1: add instances of attributes to an entity's temporal representation."""
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    service = ngsi_service(request)
    await in_thread(service.temporal.append, entity_id, body, ctx.terms)
    return Response(status_code=204)


@router.delete(ATTR_PATH)
async def delete_history(entity_id: str, attr: str, request: Request) -> Response:
    """6.21.3.1: an attribute's instances (the default ones, one datasetId's, or all)."""
    ctx = Ctx(request)
    dataset_id = request.query_params.get("datasetId")
    every = request.query_params.get("deleteAll") == "true"
    args = (entity_id, attr, ctx.terms, dataset_id, every)
    await in_thread(ngsi_service(request).temporal.delete_attribute, *args)
    return Response(status_code=204)


@router.patch(INSTANCE_PATH)
async def patch_instance(entity_id: str, attr: str, instance_id: str, request: Request) -> Response:
    """6.22.3.1: partial update of one attribute instance (it keeps its instanceId)."""
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    editor = ngsi_service(request).temporal
    await in_thread(editor.update_instance, entity_id, attr, instance_id, body, ctx.terms)
    return Response(status_code=204)


@router.delete(INSTANCE_PATH)
async def delete_instance(
    entity_id: str, attr: str, instance_id: str, request: Request
) -> Response:
    """6.22.3.2: delete one attribute instance."""
    ctx = Ctx(request)
    editor = ngsi_service(request).temporal
    await in_thread(editor.delete_instance, entity_id, attr, instance_id, ctx.terms)
    return Response(status_code=204)


@router.delete("/temporal/entities/", include_in_schema=False)
async def no_entity() -> Response:
    """The collection has no DELETE (5.6.16 names one entity): 405, not an empty entity id."""
    detail = "DELETE needs an entity id: /temporal/entities/{id}"
    raise StarletteHTTPException(405, detail, headers={"Allow": "GET, POST"})


@router.delete("/temporal/entities/{entity_id:path}/attrs/{rest:path}", include_in_schema=False)
async def no_attribute(entity_id: str, rest: str) -> Response:
    """An attribute path without a name (`attrs//{instanceId}`, `attrs/`) or deeper than an
    instance: BadRequestData, never Delete Temporal Evolution of the longer id."""
    raise bad_data(f"no attribute name or instanceId in attrs/{rest}")


@router.post("/temporal/entityOperations/query")
async def query_history(request: Request) -> Response:
    """6.24.3.1: GET /temporal/entities with a `Query` body (entities, attrs, q, geoQ, scopeQ,
    temporalQ); paging and options stay in the URL."""
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise bad_data("the body must be a Query object")
    query = query_of(body, ctx)
    params = _temporal_params(body, request.query_params)
    check_params(params)
    check_projection(params)
    limit, offset = page_of(request.query_params.get("limit"), request.query_params.get("offset"))
    service = ngsi_service(request)
    found = await in_thread(service.broker.query, query)
    repository = service.broker.repository
    page = found[offset : offset + limit]
    args = (ctx.terms, query.attrs, params)
    bodies = [await in_thread(temporal_entity, repository, e, *args) for e in page]
    shown = [projected(b, params, ctx.terms) for b in bodies]
    return ctx.answer(shown, 200, page_headers(request, len(found), limit, offset))


def _temporal_params(body: Mapping[str, Any], url: Mapping[str, str]) -> dict[str, str]:
    """The URL's parameters with the Query's TemporalQuery (5.2.21) and AggregationParams
    members as the GET parameters they stand for; aggrMethods (a list or a comma-separated
    string) asks for the aggregated representation."""
    params = dict(url)
    temporal_q, aggregation = body.get("temporalQ"), body.get("aggrParams")
    for member, given in (("temporalQ", temporal_q), ("aggrParams", aggregation)):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise bad_data(f"{member} must be an object")
        for name in (*_TEMPORAL_Q, "aggrPeriodDuration"):
            value: Any = given.get(name)
            if value is not None:
                params[name] = str(value)
        methods = given.get("aggrMethods")
        if methods is not None:
            listed = methods if isinstance(methods, list) else [methods]
            params["aggrMethods"] = ",".join(str(m) for m in listed)
    if "aggrMethods" in params and "aggregatedValues" not in params.get("options", ""):
        params["options"] = ",".join(o for o in (params.get("options"), "aggregatedValues") if o)
    return params
