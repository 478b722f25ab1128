"""Alerts: the operator's queue, details with evidence, and workflow commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from cctwin.alerts.views import alert_view
from cctwin.alerts.workflow import IllegalTransition
from cctwin.api.deps import ServicesDep
from cctwin.api.schemas import AlertDetailRead, AlertPageRead, NoteCreate, TransitionCreate
from cctwin.app import Services
from cctwin.messages import AlertAction, AlertCommand, AlertView
from cctwin.store.sql import AlertConflictError
from cctwin.types import AlertStatus

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.get("", response_model=AlertPageRead)
async def list_alerts(
    services: ServicesDep,
    status: Annotated[list[str] | None, Query()] = None,
    camera: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> AlertPageRead:
    names = [s for value in status or [] for s in value.split(",") if s]
    valid = {s.value for s in AlertStatus}
    unknown = [s for s in names if s not in valid]
    if unknown:
        raise HTTPException(422, f"unknown status {unknown[0]!r}; use one of {sorted(valid)}")
    statuses = [AlertStatus(s) for s in names] or None
    try:
        page = await asyncio.to_thread(services.store.list_alerts, statuses, camera, limit, cursor)
    except ValueError as exc:
        raise HTTPException(422, f"invalid cursor: {exc}") from None
    return AlertPageRead(items=[alert_view(a) for a in page.items], next_cursor=page.next_cursor)


@router.get("/{alert_id}", response_model=AlertDetailRead)
async def get_alert(alert_id: str, services: ServicesDep) -> AlertDetailRead:
    alert = await asyncio.to_thread(services.store.get_alert, alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id!r}")
    events = [await asyncio.to_thread(services.store.get_event, e) for e in alert.event_ids]
    return AlertDetailRead(**dict(alert_view(alert)), events=[e for e in events if e is not None])


async def _execute(services: Services, command: AlertCommand) -> AlertView:
    try:
        changed = await services.alerts.execute(command)
    except KeyError:
        raise HTTPException(404, f"no alert {command.alert_id!r}") from None
    except (IllegalTransition, AlertConflictError) as exc:  # or another operator moved it first
        raise HTTPException(409, str(exc)) from None
    return alert_view(changed)


@router.post("/{alert_id}/transitions", response_model=AlertView)
async def move_alert(alert_id: str, body: TransitionCreate, services: ServicesDep) -> AlertView:
    command = AlertCommand(
        alert_id=alert_id,
        action=AlertAction.TRANSITION,
        by=body.by,
        issued_at=datetime.now(UTC),
        to=body.to.value,
        text=body.note,
    )
    return await _execute(services, command)


@router.post("/{alert_id}/notes", response_model=AlertView, status_code=201)
async def note_alert(alert_id: str, body: NoteCreate, services: ServicesDep) -> AlertView:
    command = AlertCommand(
        alert_id=alert_id,
        action=AlertAction.NOTE,
        by=body.author,
        issued_at=datetime.now(UTC),
        text=body.text,
    )
    return await _execute(services, command)
