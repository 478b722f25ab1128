"""/ngsi-ld/v1/subscriptions: create, list, retrieve, update, delete (CIM 009 clause 5.8)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cctwin.api.routes.ngsi import Ctx, in_thread, location_of, ngsi_service, page_of, read_body
from cctwin.api.routes.ngsi_headers import page_headers
from cctwin.ngsi.context import HOSTED_PATH
from cctwin.ngsi.entities import Json
from cctwin.ngsi.notifications import DEFAULT_TRIGGERS, context_url
from cctwin.ngsi.subscription_model import Subscription
from cctwin.ngsi.versions import applied

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])


@router.post("/subscriptions")
# Some clients (ngsildclient) post to the collection with a trailing slash.
@router.post("/subscriptions/", include_in_schema=False)
async def create_subscription(request: Request) -> Response:
    body, context = await read_body(request)
    Ctx(request, context)
    service = ngsi_service(request)
    sub = await in_thread(service.subscriptions.create, body, context)
    if context is not None and context_url(context) is None and "jsonldContext" not in body:
        # An inline @context gets a URL of its own (ImplicitlyCreated, CIM 009 5.13): the
        # subscription's jsonldContext, sent in the Link header of its notifications.
        hosted = await in_thread(service.hosting.implicit, context)
        url = f"{str(request.base_url).rstrip('/')}{HOSTED_PATH}{hosted.local_id}"
        await in_thread(service.subscriptions.update, sub.id, {"jsonldContext": url})
    return Response(status_code=201, headers={"Location": location_of("subscriptions", sub.id)})


@router.get("/subscriptions")
@router.get("/subscriptions/", include_in_schema=False)
async def list_subscriptions(request: Request) -> Response:
    ctx = Ctx(request)
    limit, offset = page_of(request.query_params.get("limit"), request.query_params.get("offset"))
    subs = sorted(ngsi_service(request).subscriptions.subscriptions.values(), key=lambda s: s.id)
    headers = page_headers(request, len(subs), limit, offset)
    headers |= applied(request.headers.get("prefer"))
    return ctx.answer([_shown(s) for s in subs[offset : offset + limit]], 200, headers)


@router.get("/subscriptions/{sub_id:path}")
async def retrieve_subscription(sub_id: str, request: Request) -> Response:
    ctx = Ctx(request)
    found = ngsi_service(request).subscriptions.get(sub_id)
    # 4.3.6.8: a Subscription has no version fallbacks, so any version preferred is met as is.
    return ctx.answer(_shown(found), 200, applied(request.headers.get("prefer")))


def _shown(sub: Subscription) -> Json:
    """The subscription with the triggers it has when none were given (Table 5.2.12-1)."""
    view = sub.view()
    view.setdefault("notificationTrigger", sorted(DEFAULT_TRIGGERS))
    return view


def _collection_only(sub_id: str) -> None:
    # PATCH or DELETE on the collection itself (`/subscriptions/`, no id): the path exists,
    # the method does not (405, with the Allow header the problem handler adds).
    if not sub_id:
        raise StarletteHTTPException(405, "Method Not Allowed")


@router.patch("/subscriptions/{sub_id:path}")
async def update_subscription(sub_id: str, request: Request) -> Response:
    _collection_only(sub_id)
    body, _ = await read_body(request)
    await in_thread(ngsi_service(request).subscriptions.update, sub_id, body)
    return Response(status_code=204)


@router.delete("/subscriptions/{sub_id:path}")
async def delete_subscription(sub_id: str, request: Request) -> Response:
    _collection_only(sub_id)
    await in_thread(ngsi_service(request).subscriptions.delete, sub_id)
    return Response(status_code=204)
