"""Cameras: status, live view (JPEG and MJPEG with overlays), snapshots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from cctwin.api.deps import NOT_FOUND, PrincipalDep, ServicesDep, check_camera, require
from cctwin.api.routes.privacy import unmask_headers, unmasked_media
from cctwin.api.schemas import CameraRead, camera_read
from cctwin.app import Services
from cctwin.messages import ObjectPositions
from cctwin.privacy.unmask import UnmaskGrant
from cctwin.security.audit import AuditAction
from cctwin.security.roles import Permission, Principal

TWIN = [require(Permission.VIEW_TWIN)]
LIVE = [require(Permission.VIEW_LIVE)]
RECORDED = [require(Permission.VIEW_RECORDED)]

router = APIRouter(tags=["cameras"])


@router.get("/api/cameras", response_model=list[CameraRead], dependencies=TWIN)
async def list_cameras(services: ServicesDep, principal: PrincipalDep) -> list[CameraRead]:
    cameras = [c for c in services.config.cameras if principal.sees(c.id)]
    return [camera_read(c, services.live.statuses[c.id]) for c in cameras]


@router.get(
    "/api/cameras/{camera_id}", response_model=CameraRead, dependencies=TWIN, responses=NOT_FOUND
)
async def get_camera(camera_id: str, services: ServicesDep) -> CameraRead:
    for camera in services.config.cameras:
        if camera.id == camera_id:
            return camera_read(camera, services.live.statuses[camera.id])
    raise HTTPException(404, f"no camera {camera_id!r}")


@router.get("/api/positions", response_model=list[ObjectPositions], dependencies=TWIN)
async def positions(services: ServicesDep, principal: PrincipalDep) -> list[ObjectPositions]:
    """Each camera's tracked objects as last analysed (then `positions` on /api/stream)."""
    return [p for p in services.live.positions.values() if principal.sees(p.camera_id)]


@router.get(
    "/api/cameras/{camera_id}/live.jpg",
    response_class=Response,
    dependencies=LIVE,
    responses=NOT_FOUND,
)
async def live_jpeg(camera_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    if camera_id not in services.live.statuses:
        raise HTTPException(404, f"no camera {camera_id!r}")
    live = services.live.previews.get(camera_id)
    if live is None:
        raise HTTPException(404, f"camera {camera_id!r} has not delivered a frame yet")
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_LIVE, camera_id, camera_id
    )
    jpeg, grant = await _live_frame(services, principal, camera_id, live.jpeg)
    return Response(jpeg, media_type="image/jpeg", headers=unmask_headers(grant))


@router.get("/api/cameras/{camera_id}/live.mjpeg", dependencies=LIVE, responses=NOT_FOUND)
async def live_mjpeg(
    camera_id: str, request: Request, services: ServicesDep, principal: PrincipalDep
) -> StreamingResponse:
    if camera_id not in services.live.statuses:
        raise HTTPException(404, f"no camera {camera_id!r}")
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_LIVE, camera_id, camera_id
    )

    async def parts() -> AsyncIterator[bytes]:
        sent = None
        while not await request.is_disconnected() and not services.stopping:
            live = services.live.previews.get(camera_id)
            if live is not None and live is not sent:
                sent = live
                jpeg, _ = await _live_frame(services, principal, camera_id, live.jpeg)
                yield b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n"
            await asyncio.sleep(0.2)

    return StreamingResponse(parts(), media_type="multipart/x-mixed-replace; boundary=frame")


@router.get(
    "/api/snapshots/{media_id}.jpg",
    response_class=FileResponse,
    dependencies=RECORDED,
    responses=NOT_FOUND,
)
async def snapshot(media_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    record = await asyncio.to_thread(services.store.get_media, media_id)
    if record is None:
        raise HTTPException(404, f"no snapshot {media_id!r}")
    check_camera(principal, record.camera_id)
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_SNAPSHOT, media_id, record.camera_id
    )
    unmasked = await unmasked_media(services, principal, record)
    if unmasked is not None:
        return Response(unmasked[0], media_type="image/jpeg", headers=unmask_headers(unmasked[1]))
    return FileResponse(services.media.path_of(record), media_type="image/jpeg")


@router.get(
    "/api/clips/{media_id}.mp4",
    response_class=FileResponse,
    dependencies=RECORDED,
    responses=NOT_FOUND,
)
async def clip(media_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    record = await asyncio.to_thread(services.store.get_media, media_id)
    if record is None:
        raise HTTPException(404, f"no clip {media_id!r}")
    check_camera(principal, record.camera_id)
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_CLIP, media_id, record.camera_id
    )
    unmasked = await unmasked_media(services, principal, record)
    if unmasked is not None:
        return Response(unmasked[0], media_type="video/mp4", headers=unmask_headers(unmasked[1]))
    return FileResponse(services.media.path_of(record), media_type="video/mp4")


async def _live_frame(
    services: Services, principal: Principal, camera_id: str, masked: bytes
) -> tuple[bytes, UnmaskGrant | None]:
    """The unmasked live frame under a grant (asking the worker for it), else `masked`.

    The first requests of a grant get the masked frame until the worker has written an
    unmasked one (within a second); use is audited like viewing, once per audit interval.
    """
    if not services.config.privacy.keep_originals:
        return masked, None
    grant = await asyncio.to_thread(services.unmask.grant_for, principal, camera_id)
    if grant is None:
        return masked, None
    await asyncio.to_thread(services.originals.want_live, camera_id)
    original = await asyncio.to_thread(services.originals.read_live, camera_id)
    if original is None:
        return masked, None
    detail = f"grant {grant.id}; reason: {grant.reason}"
    await asyncio.to_thread(
        services.viewings.viewed,
        principal,
        AuditAction.UNMASK_USE,
        camera_id,
        camera_id,
        grant.purpose,
        detail,
    )
    return original, grant
