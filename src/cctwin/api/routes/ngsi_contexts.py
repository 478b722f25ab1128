"""/ngsi-ld/v1/jsonldContexts: add, list, serve, delete and reload @contexts (CIM 009 5.13)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from cctwin.api.routes.ngsi import in_thread, location_of, ngsi_service
from cctwin.api.routes.ngsi_bodies import read_json
from cctwin.ngsi.problems import bad_data

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])


def _boolean(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise bad_data(f"{name} is true or false, not {raw!r}")
    return raw == "true"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.post("/jsonldContexts")
async def add_context(request: Request) -> Response:
    body = await read_json(request)
    hosted = await in_thread(ngsi_service(request).hosting.add, body)
    return Response(
        status_code=201, headers={"Location": location_of("jsonldContexts", hosted.local_id)}
    )


@router.get("/jsonldContexts")
async def list_contexts(request: Request) -> Response:
    details = _boolean(request, "details")
    kind = request.query_params.get("kind")
    listing = ngsi_service(request).hosting.listing(_base(request), kind, details)
    return JSONResponse(listing)


@router.get("/jsonldContexts/{context_id:path}")
async def serve_context(context_id: str, request: Request) -> Response:
    details = _boolean(request, "details")
    body = ngsi_service(request).hosting.serve(_base(request), context_id, details)
    return JSONResponse(body, media_type="application/json" if details else "application/ld+json")


@router.delete("/jsonldContexts/{context_id:path}")
async def delete_context(context_id: str, request: Request) -> Response:
    reload = _boolean(request, "reload")
    await in_thread(ngsi_service(request).hosting.delete, context_id, reload)
    return Response(status_code=204)
