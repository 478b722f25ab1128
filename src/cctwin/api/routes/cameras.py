"""Cameras: status, live view (JPEG and MJPEG with overlays), snapshots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from cctwin.api.deps import (
    NOT_FOUND,
    PrincipalDep,
    ServicesDep,
    ZoneScopesDep,
    check_camera,
    require,
)
from cctwin.api.routes.privacy import unmask_headers, unmasked_media
from cctwin.api.schemas import CameraRead, camera_read
from cctwin.app import Services
from cctwin.messages import MediaKind, MediaReady, ObjectPositions
from cctwin.privacy.unmask import UnmaskGrant
from cctwin.privacy.zone_mask import clip_outside_blacked, jpeg_outside_blacked
from cctwin.security.audit import AuditAction
from cctwin.security.roles import Permission, Principal
from cctwin.security.zone_scope import ImagePolygon, ZoneScopes

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
async def positions(
    services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> list[ObjectPositions]:
    """Each camera's tracked objects as last analysed (then `positions` on /api/stream); a
    zone-scoped caller gets only the objects standing in its zones."""
    seen = [p for p in services.live.positions.values() if principal.sees(p.camera_id)]
    return [scopes.positions(principal, p) for p in seen]


@router.get(
    "/api/cameras/{camera_id}/live.jpg",
    response_class=Response,
    dependencies=LIVE,
    responses=NOT_FOUND,
)
async def live_jpeg(
    camera_id: str, services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> Response:
    if camera_id not in services.live.statuses:
        raise HTTPException(404, f"no camera {camera_id!r}")
    region = _live_region(scopes, principal, camera_id)
    live = services.live.previews.get(camera_id)
    if live is None:
        raise HTTPException(404, f"camera {camera_id!r} has not delivered a frame yet")
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_LIVE, camera_id, camera_id
    )
    jpeg, grant = await _live_frame(services, principal, camera_id, live.jpeg)
    jpeg = await _blacked(jpeg, region)
    return Response(jpeg, media_type="image/jpeg", headers=_headers(grant, principal, region))


@router.get("/api/cameras/{camera_id}/live.mjpeg", dependencies=LIVE, responses=NOT_FOUND)
async def live_mjpeg(
    camera_id: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    scopes: ZoneScopesDep,
) -> StreamingResponse:
    if camera_id not in services.live.statuses:
        raise HTTPException(404, f"no camera {camera_id!r}")
    region = _live_region(scopes, principal, camera_id)
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
                jpeg = await _blacked(jpeg, region)
                yield b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n"
            await asyncio.sleep(0.2)

    return StreamingResponse(
        parts(),
        media_type="multipart/x-mixed-replace; boundary=frame",
        headers=_headers(None, principal, region),
    )


@router.get(
    "/api/snapshots/{media_id}.jpg",
    response_class=FileResponse,
    dependencies=RECORDED,
    responses=NOT_FOUND,
)
async def snapshot(
    media_id: str, services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> Response:
    record = await asyncio.to_thread(services.store.get_media, media_id)
    if record is None:
        raise HTTPException(404, f"no snapshot {media_id!r}")
    check_camera(principal, record.camera_id)
    if record.kind != MediaKind.SNAPSHOT:
        raise HTTPException(404, f"no snapshot {media_id!r}")
    region = await _media_region(services, scopes, principal, record)
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_SNAPSHOT, media_id, record.camera_id
    )
    unmasked = await unmasked_media(services, principal, record)
    if region is not None:
        data = unmasked[0] if unmasked else await asyncio.to_thread(_read, services, record)
        headers = _headers(unmasked[1] if unmasked else None, principal, region)
        return Response(await _blacked(data, region), media_type="image/jpeg", headers=headers)
    if unmasked is not None:
        return Response(unmasked[0], media_type="image/jpeg", headers=unmask_headers(unmasked[1]))
    return FileResponse(services.media.path_of(record), media_type="image/jpeg")


@router.get(
    "/api/clips/{media_id}.mp4",
    response_class=FileResponse,
    dependencies=RECORDED,
    responses=NOT_FOUND,
)
async def clip(
    media_id: str, services: ServicesDep, principal: PrincipalDep, scopes: ZoneScopesDep
) -> Response:
    record = await asyncio.to_thread(services.store.get_media, media_id)
    if record is None:
        raise HTTPException(404, f"no clip {media_id!r}")
    check_camera(principal, record.camera_id)
    if record.kind != MediaKind.CLIP:
        raise HTTPException(404, f"no clip {media_id!r}")
    region = await _media_region(services, scopes, principal, record)
    await asyncio.to_thread(
        services.viewings.viewed, principal, AuditAction.VIEW_CLIP, media_id, record.camera_id
    )
    unmasked = await unmasked_media(services, principal, record)
    if region is not None:
        data = unmasked[0] if unmasked else await asyncio.to_thread(_read, services, record)
        headers = _headers(unmasked[1] if unmasked else None, principal, region)
        try:
            blacked = await asyncio.to_thread(clip_outside_blacked, data, region)
        except (ValueError, OSError):  # PyAV's decode errors are both; never served unmasked
            raise HTTPException(
                500, f"clip {media_id!r} could not be masked to your zones"
            ) from None
        return Response(blacked, media_type="video/mp4", headers=headers)
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


def _live_region(
    scopes: ZoneScopes, principal: Principal, camera_id: str
) -> list[ImagePolygon] | None:
    """The part of the view a zone-scoped caller may watch (None: all); 403 when none of it."""
    region = scopes.region(principal, camera_id)
    if region is not None and not region:
        raise HTTPException(403, f"none of your zones is drawn on camera {camera_id!r}")
    return region


async def _media_region(
    services: Services, scopes: ZoneScopes, principal: Principal, record: MediaReady
) -> list[ImagePolygon] | None:
    """A zone-scoped caller sees the evidence of its zones' events only, and only its zones
    in it (like a VMS privacy mask); 403 otherwise. None: no zone scope, the whole frame."""
    if principal.zones is None:
        return None
    what = f"{record.kind.value} {record.id!r}"
    event = None
    if record.event_id is not None:
        event = await asyncio.to_thread(services.store.get_event, record.event_id)
    if event is None:
        raise HTTPException(403, f"{what} is not evidence of an event in your zones")
    if not scopes.covers(principal, event.camera_id, event.zone_id):
        raise HTTPException(403, f"{what} shows zone {event.zone_id!r}, outside your scope")
    return _live_region(scopes, principal, record.camera_id)


async def _blacked(image: bytes, region: list[ImagePolygon] | None) -> bytes:
    if region is None:
        return image
    try:
        return await asyncio.to_thread(jpeg_outside_blacked, image, region)
    except ValueError:  # an image that does not decode is never served unmasked
        raise HTTPException(500, "the image could not be masked to your zones") from None


def _read(services: Services, record: MediaReady) -> bytes:
    return services.media.path_of(record).read_bytes()


def _headers(
    grant: UnmaskGrant | None, principal: Principal, region: list[ImagePolygon] | None
) -> dict[str, str]:
    """The unmask header, and which zones a blacked-out frame keeps (`X-Cctwin-Zones`)."""
    headers = unmask_headers(grant)
    if region is not None and principal.zones is not None:
        headers["X-Cctwin-Zones"] = ",".join(sorted(principal.zones))
    return headers
