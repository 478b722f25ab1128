"""Unmask grants over HTTP, and serving a camera's media unmasked under one."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException

from cctwin.api.deps import BAD_INPUT, NOT_FOUND, PrincipalDep, ServicesDep
from cctwin.app import Services
from cctwin.messages import MediaReady
from cctwin.privacy.unmask import UnmaskGrant, UnmaskRefusedError, UnmaskRequest
from cctwin.security.roles import Principal

router = APIRouter(prefix="/api/privacy", tags=["privacy"])

# The header that tells the dashboard a response is unmasked, and under which grant.
GRANT_HEADER = "X-Cctwin-Unmask-Grant"


@router.post(
    "/unmask", response_model=UnmaskGrant, status_code=201, responses=BAD_INPUT | NOT_FOUND
)
async def grant_unmask(
    body: UnmaskRequest, services: ServicesDep, principal: PrincipalDep
) -> UnmaskGrant:
    """A time-limited grant to see these cameras unmasked (the unmask right and a reason)."""
    try:
        return await asyncio.to_thread(services.unmask.grant, principal, body)
    except UnmaskRefusedError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.get("/unmask", response_model=list[UnmaskGrant])
async def active_grants(services: ServicesDep, principal: PrincipalDep) -> list[UnmaskGrant]:
    """Grants in force: all of them for the unmask right, else the caller's own."""
    return await asyncio.to_thread(services.unmask.active, principal)


@router.delete("/unmask/{grant_id}", response_model=UnmaskGrant, responses=NOT_FOUND)
async def end_grant(grant_id: str, services: ServicesDep, principal: PrincipalDep) -> UnmaskGrant:
    """End a grant before its expiry (its holder, or anyone with the unmask right)."""
    try:
        return await asyncio.to_thread(services.unmask.end, principal, grant_id)
    except KeyError:
        raise HTTPException(404, f"no active grant {grant_id!r}") from None
    except UnmaskRefusedError as exc:
        raise HTTPException(exc.status, str(exc)) from None


async def unmasked_media(
    services: Services, principal: Principal, record: MediaReady
) -> tuple[bytes, UnmaskGrant] | None:
    """The original of `record` when the caller holds a grant for its camera (audited)."""
    if not services.config.privacy.keep_originals:
        return None
    grant = await asyncio.to_thread(services.unmask.grant_for, principal, record.camera_id)
    if grant is None:
        return None
    data = await asyncio.to_thread(services.originals.read, record)
    if data is None:
        return None
    await asyncio.to_thread(services.unmask.used, principal, grant, record.id, record.camera_id)
    return data, grant


def unmask_headers(grant: UnmaskGrant | None) -> dict[str, str]:
    headers = {"Cache-Control": "no-store"}
    if grant is not None:
        headers[GRANT_HEADER] = grant.id
    return headers
