"""/ngsi-ld/v1/csourceRegistrations and /csourceSubscriptions (CIM 009 5.9, 5.10, 5.11)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cctwin.api.routes.ngsi import (
    Ctx,
    flag,
    in_thread,
    location_of,
    ngsi_service,
    page_of,
    read_body,
)
from cctwin.api.routes.ngsi_headers import page_headers
from cctwin.ngsi.problems import NgsiError, Problem, bad_data
from cctwin.ngsi.registration_query import parse_registration_query
from cctwin.ngsi.registrations import render_registration

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
REGS = "csourceRegistrations"
SUBS = "csourceSubscriptions"


def _no_id() -> Response:
    # PATCH/DELETE on the collection itself (an empty id): the collection has GET and POST.
    return Response(status_code=405, headers={"Allow": "GET, POST"})


def _ctx(request: Request) -> Ctx:
    ctx = Ctx(request)
    if ctx.geo:  # registrations are not features: their location is one member among many
        raise NgsiError(Problem.NOT_ACCEPTABLE, "registrations are answered as JSON or JSON-LD")
    return ctx


def _local_only(request: Request) -> None:
    # This broker answers from its own registry; it forwards nothing, so local=true
    # (CIM 009 6.3.18) changes nothing and any other value is a malformed request.
    local = request.query_params.get("local")
    if local is not None and local not in ("true", "false"):
        raise bad_data("local is true or false")


# --- registrations ---------------------------------------------------------------------------


@router.post(f"/{REGS}")
@router.post(f"/{REGS}/", include_in_schema=False)
async def create_registration(request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    reg = await in_thread(ngsi_service(request).registry.create, body, ctx.terms)
    return Response(status_code=201, headers={"Location": location_of(REGS, reg.id)})


@router.get(f"/{REGS}")
@router.get(f"/{REGS}/", include_in_schema=False)
async def query_registrations(request: Request) -> Response:
    """Discovery (5.10.2): the registrations that could supply the asked entities/attrs."""
    ctx = _ctx(request)
    _local_only(request)
    query = parse_registration_query(request.query_params, ctx.terms)
    limit, offset = page_of(request.query_params.get("limit"), request.query_params.get("offset"))
    found = ngsi_service(request).registry.query(query)
    headers = page_headers(request, len(found), limit, offset)
    sys_attrs = flag(request, "sysAttrs")
    page = [render_registration(r, ctx.terms, sys_attrs) for r in found[offset : offset + limit]]
    return ctx.answer(page, 200, headers)


@router.get(f"/{REGS}/{{reg_id:path}}")
async def retrieve_registration(reg_id: str, request: Request) -> Response:
    ctx = _ctx(request)
    reg = ngsi_service(request).registry.get(reg_id)
    return ctx.answer(render_registration(reg, ctx.terms, flag(request, "sysAttrs")))


@router.patch(f"/{REGS}/", include_in_schema=False)
@router.delete(f"/{REGS}/", include_in_schema=False)
async def registration_without_id() -> Response:
    return _no_id()


@router.patch(f"/{REGS}/{{reg_id:path}}")
async def update_registration(reg_id: str, request: Request) -> Response:
    body, context = await read_body(request)
    ctx = Ctx(request, context)
    await in_thread(ngsi_service(request).registry.update, reg_id, body, ctx.terms)
    return Response(status_code=204)


@router.delete(f"/{REGS}/{{reg_id:path}}")
async def delete_registration(reg_id: str, request: Request) -> Response:
    await in_thread(ngsi_service(request).registry.delete, reg_id)
    return Response(status_code=204)


# --- registration subscriptions ---------------------------------------------------------------


@router.post(f"/{SUBS}")
@router.post(f"/{SUBS}/", include_in_schema=False)
async def create_csource_subscription(request: Request) -> Response:
    body, context = await read_body(request)
    Ctx(request, context)
    subs = ngsi_service(request).csource_subscriptions
    found = await in_thread(subs.create, body, context)
    return Response(status_code=201, headers={"Location": location_of(SUBS, found.sub.id)})


@router.get(f"/{SUBS}")
@router.get(f"/{SUBS}/", include_in_schema=False)
async def list_csource_subscriptions(request: Request) -> Response:
    ctx = _ctx(request)
    limit, offset = page_of(request.query_params.get("limit"), request.query_params.get("offset"))
    subs = ngsi_service(request).csource_subscriptions.subscriptions.values()
    ordered = sorted((s.sub for s in subs), key=lambda s: s.id)
    headers = page_headers(request, len(ordered), limit, offset)
    return ctx.answer([s.view() for s in ordered[offset : offset + limit]], 200, headers)


@router.get(f"/{SUBS}/{{sub_id:path}}")
async def retrieve_csource_subscription(sub_id: str, request: Request) -> Response:
    ctx = _ctx(request)
    return ctx.answer(ngsi_service(request).csource_subscriptions.get(sub_id).sub.view())


@router.patch(f"/{SUBS}/", include_in_schema=False)
@router.delete(f"/{SUBS}/", include_in_schema=False)
async def csource_subscription_without_id() -> Response:
    return _no_id()


@router.patch(f"/{SUBS}/{{sub_id:path}}")
async def update_csource_subscription(sub_id: str, request: Request) -> Response:
    body, _ = await read_body(request)
    await in_thread(ngsi_service(request).csource_subscriptions.update, sub_id, body)
    return Response(status_code=204)


@router.delete(f"/{SUBS}/{{sub_id:path}}")
async def delete_csource_subscription(sub_id: str, request: Request) -> Response:
    await in_thread(ngsi_service(request).csource_subscriptions.delete, sub_id)
    return Response(status_code=204)
