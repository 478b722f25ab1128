"""Alerts: the operator's queue, details with evidence, and workflow transitions."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from cctwin.alerts.workflow import IllegalTransition, add_note
from cctwin.api.deps import ServicesDep
from cctwin.api.schemas import (
    AlertDetailRead,
    AlertPageRead,
    AlertRead,
    NoteCreate,
    TransitionCreate,
    alert_read,
    event_read,
)
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
    items = [alert_read(a, await asyncio.to_thread(services.titles, a)) for a in page.items]
    return AlertPageRead(items=items, next_cursor=page.next_cursor)


@router.get("/{alert_id}", response_model=AlertDetailRead)
async def get_alert(alert_id: str, services: ServicesDep) -> AlertDetailRead:
    alert = await asyncio.to_thread(services.store.get_alert, alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id!r}")
    events = [await asyncio.to_thread(services.store.get_event, e) for e in alert.event_ids]
    base = alert_read(alert, await asyncio.to_thread(services.titles, alert))
    return AlertDetailRead(
        **base.model_dump(), events=[event_read(e) for e in events if e is not None]
    )


@router.post("/{alert_id}/transitions", response_model=AlertRead)
async def move_alert(alert_id: str, body: TransitionCreate, services: ServicesDep) -> AlertRead:
    try:
        moved = await services.move_alert(alert_id, body.to, body.by, body.note)
    except KeyError:
        raise HTTPException(404, f"no alert {alert_id!r}") from None
    except IllegalTransition as exc:
        raise HTTPException(409, str(exc)) from None
    except AlertConflictError as exc:  # another operator moved it first
        raise HTTPException(409, str(exc)) from None
    return alert_read(moved, services.titles(moved))


@router.post("/{alert_id}/notes", response_model=AlertRead, status_code=201)
async def note_alert(alert_id: str, body: NoteCreate, services: ServicesDep) -> AlertRead:
    from datetime import UTC, datetime

    alert = await asyncio.to_thread(services.store.get_alert, alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id!r}")
    noted = add_note(alert, body.author, body.text, datetime.now(UTC))
    await asyncio.to_thread(services.store.save_alert, noted)
    services.bus.publish(noted)
    return alert_read(noted, services.titles(noted))
