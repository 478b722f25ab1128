"""Alerts: the operator's queue, details with evidence, and workflow commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from cctwin.alerts.views import alert_view
from cctwin.alerts.workflow import IllegalTransition
from cctwin.api.deps import (
    BAD_INPUT,
    CONFLICT,
    NOT_FOUND,
    Cursor,
    PrincipalDep,
    ServicesDep,
    check_camera,
    check_zone,
    listed,
    require,
)
from cctwin.api.schemas import AlertDetailRead, AlertPageRead, NoteCreate, TransitionCreate
from cctwin.app import Services
from cctwin.messages import AlertAction, AlertCommand, AlertView
from cctwin.security.audit import AuditAction
from cctwin.security.roles import Permission, Principal
from cctwin.store.sql import AlertConflictError
from cctwin.types import AlertStatus

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
VIEW = [require(Permission.VIEW_ALERTS)]
HANDLE = [require(Permission.VIEW_ALERTS), require(Permission.HANDLE_ALERTS)]


@router.get("", response_model=AlertPageRead, dependencies=VIEW, responses=BAD_INPUT)
async def list_alerts(
    services: ServicesDep,
    principal: PrincipalDep,
    status: Annotated[
        list[Annotated[str, listed(s.value for s in AlertStatus)]], Query(default_factory=list)
    ],
    camera: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> AlertPageRead:
    names = [s for value in status or [] for s in value.split(",") if s]
    valid = {s.value for s in AlertStatus}
    unknown = [s for s in names if s not in valid]
    if unknown:
        raise HTTPException(422, f"unknown status {unknown[0]!r}; use one of {sorted(valid)}")
    statuses = [AlertStatus(s) for s in names] or None
    if camera is not None:
        check_camera(principal, camera)
    try:
        page = await asyncio.to_thread(services.store.list_alerts, statuses, camera, limit, cursor)
    except ValueError as exc:
        raise HTTPException(422, f"invalid cursor: {exc}") from None
    # A scoped caller's page may come back shorter than `limit`; the cursor still continues it.
    items = [
        alert_view(a)
        for a in page.items
        if principal.sees(a.camera_id) and principal.sees_zone(a.zone_id)
    ]
    return AlertPageRead(items=items, next_cursor=page.next_cursor)


@router.get("/{alert_id}", response_model=AlertDetailRead, dependencies=VIEW, responses=NOT_FOUND)
async def get_alert(
    alert_id: str, services: ServicesDep, principal: PrincipalDep
) -> AlertDetailRead:
    alert = await asyncio.to_thread(services.store.get_alert, alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id!r}")
    check_camera(principal, alert.camera_id)
    check_zone(principal, alert.zone_id)
    events = [await asyncio.to_thread(services.store.get_event, e) for e in alert.event_ids]
    return AlertDetailRead(**dict(alert_view(alert)), events=[e for e in events if e is not None])


async def _execute(services: Services, principal: Principal, command: AlertCommand) -> AlertView:
    current = await asyncio.to_thread(services.store.get_alert, command.alert_id)
    if current is not None:
        check_camera(principal, current.camera_id)
        check_zone(principal, current.zone_id)
    try:
        changed = await services.alerts.execute(command)
    except KeyError:
        raise HTTPException(404, f"no alert {command.alert_id!r}") from None
    except (IllegalTransition, AlertConflictError) as exc:  # or another operator moved it first
        raise HTTPException(409, str(exc)) from None
    action = AuditAction.ALERT_TRANSITION if command.to else AuditAction.ALERT_NOTE
    detail = f"to {command.to}" if command.to else ""
    await asyncio.to_thread(
        services.viewings.record,
        principal,
        action,
        command.alert_id,
        changed.camera_id,
        None,
        detail,
    )
    return alert_view(changed)


@router.post(
    "/{alert_id}/transitions",
    response_model=AlertView,
    dependencies=HANDLE,
    responses=NOT_FOUND | CONFLICT,
)
async def move_alert(
    alert_id: str, body: TransitionCreate, services: ServicesDep, principal: PrincipalDep
) -> AlertView:
    command = AlertCommand(
        alert_id=alert_id,
        action=AlertAction.TRANSITION,
        by=principal.name,  # the authenticated caller, never the body
        issued_at=datetime.now(UTC),
        to=body.to.value,
        text=body.note,
    )
    return await _execute(services, principal, command)


@router.post(
    "/{alert_id}/notes",
    response_model=AlertView,
    status_code=201,
    dependencies=HANDLE,
    responses=NOT_FOUND,
)
async def note_alert(
    alert_id: str, body: NoteCreate, services: ServicesDep, principal: PrincipalDep
) -> AlertView:
    command = AlertCommand(
        alert_id=alert_id,
        action=AlertAction.NOTE,
        by=principal.name,
        issued_at=datetime.now(UTC),
        text=body.text,
    )
    return await _execute(services, principal, command)
