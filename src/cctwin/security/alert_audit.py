"""Subscriber: alert changes nobody audited at the API (the engine opening one) -> audit log.

Operator commands made over REST are audited in the route, with the authenticated caller,
before the answer. What the engine does on its own (opening an alert from events, or any
transition it makes) reaches no route, so this subscriber records it from the bus: durably,
acked only after the row is committed (a crash in between may record it twice, never not).
"""

from __future__ import annotations

import asyncio
import logging

from cctwin.alerts.service import ENGINE
from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import PREFIX
from cctwin.messages import AlertChanged, AlertChangeKind
from cctwin.security.audit import AuditAction, AuditRecord
from cctwin.security.service import SecurityStore

log = logging.getLogger(__name__)

SUBJECTS = (f"{PREFIX}.alerts.>",)


def audit_record(change: AlertChanged) -> AuditRecord | None:
    """The row an alert change needs when no route wrote one; None for the others."""
    alert = change.alert
    if change.change is AlertChangeKind.OPENED:
        action, detail = AuditAction.ALERT_OPENED, f"rule {alert.rule_id}; {alert.severity}"
    elif change.change is AlertChangeKind.MOVED and change.by == ENGINE:
        action, detail = AuditAction.ALERT_TRANSITION, f"to {alert.status}"
    else:
        return None  # operator commands: audited by the API with the caller; evidence, notes
    return AuditRecord(change.at, "service", action, alert.id, alert.camera_id, None, detail)


class AlertAuditor:
    """Appends an audit row for each alert change the engine made."""

    def __init__(self, store: SecurityStore, bus: Bus) -> None:
        self.store = store
        self.bus = bus

    async def run(self, stopping: asyncio.Event) -> None:
        subscription = self.bus.subscribe("alert-audit", SUBJECTS, durable=True)
        try:
            while not stopping.is_set():
                for delivery in await subscription.fetch(200, 0.5):
                    message = delivery.message
                    record = audit_record(message) if isinstance(message, AlertChanged) else None
                    if record is not None:
                        try:
                            await asyncio.to_thread(self.store.append_audit, record)
                        except Exception:
                            log.exception("could not audit %s; will retry", delivery.subject)
                            continue  # not acked: a durable bus (NATS) delivers it again
                    await delivery.ack()
        finally:
            await subscription.close()
