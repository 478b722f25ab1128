"""/ngsi-ld/v1/info/sourceIdentity: who this context source is (CIM 009 V1.9 5.15, 5.2.40)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from cctwin.api.routes.ngsi_preconditions import LD_JSON, negotiate
from cctwin.ngsi.context import CORE_CONTEXT, link_header
from cctwin.ngsi.identity import source_identity
from cctwin.ngsi.tenants import HEADER as TENANT_HEADER
from cctwin.ngsi.tenants import Tenants

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])


@router.get("/info/sourceIdentity")
async def retrieve_source_identity(request: Request) -> Response:
    # The source's own facts, asked of any tenant, even one not created yet: the alias names
    # the tenant; the Via name and the uptime are the process's (the default tenant's).
    tenants: Tenants = request.app.state.services.ngsi_tenants
    service = tenants.get(None)
    tenant = request.headers.get(TENANT_HEADER)
    body = source_identity(service.federation.name, tenant, service.started_at)
    if negotiate(request.headers.get("accept")) == LD_JSON:
        body["@context"] = CORE_CONTEXT
        return Response(orjson.dumps(body), 200, media_type=LD_JSON)
    headers = {"Link": link_header(CORE_CONTEXT)}
    return Response(orjson.dumps(body), 200, headers, media_type="application/json")
