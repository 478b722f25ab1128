"""The audit log for the privacy officer: CSV export (itself audited) and the chain check."""

from __future__ import annotations

import asyncio
import io

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from cctwin.api.deps import BAD_INPUT, PrincipalDep, QueryTime, ServicesDep, content, require
from cctwin.security.audit import AuditAction, verify, write_csv
from cctwin.security.roles import Permission

router = APIRouter(
    prefix="/api/audit", tags=["audit"], dependencies=[require(Permission.VIEW_AUDIT)]
)


class AuditCheckRead(BaseModel):
    intact: bool
    rows: int
    head: str | None
    broken_at: int | None = None
    reason: str | None = None


@router.get(
    "/export.csv",
    response_class=Response,
    responses=content("text/csv") | BAD_INPUT,
)
async def export_audit(
    services: ServicesDep,
    principal: PrincipalDep,
    since: QueryTime = None,
    until: QueryTime = None,
    purpose: str | None = None,
) -> Response:
    """Rows with `since` <= time < `until` as CSV (seq, at, actor, action, ..., hash)."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a timezone, e.g. 2026-12-01T00:00:00+09:00")
    entries = await asyncio.to_thread(lambda: list(services.store.audit_entries(since, until)))
    out = io.StringIO()
    count = write_csv(entries, out)
    detail = f"{since or '-'}..{until or '-'} {count} rows"
    await asyncio.to_thread(
        services.viewings.record, principal, AuditAction.EXPORT, "audit_log", None, purpose, detail
    )
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/verify", response_model=AuditCheckRead)
async def verify_audit(services: ServicesDep) -> AuditCheckRead:
    """Walk the whole chain; the first edited, inserted or deleted row if any."""
    entries = await asyncio.to_thread(lambda: list(services.store.audit_entries()))
    broken = verify(entries)
    head = entries[-1].hash if entries else None
    if broken is None:
        return AuditCheckRead(intact=True, rows=len(entries), head=head)
    return AuditCheckRead(
        intact=False, rows=len(entries), head=head, broken_at=broken.seq, reason=broken.reason
    )
