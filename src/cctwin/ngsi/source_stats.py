"""How a context source's forwarded requests went: the registration's statistics (5.2.9)."""

from __future__ import annotations

import logging

from cctwin.ngsi.entities import iso, now
from cctwin.ngsi.registrations import Registration

log = logging.getLogger(__name__)


def succeeded(reg: Registration) -> None:
    # The CSourceRegistration's request statistics (5.2.9), as subscriptions keep theirs.
    stamp = iso(now())
    sent = int(reg.runtime.get("timesSent", 0)) + 1
    reg.runtime.update(status="ok", timesSent=sent, lastSuccess=stamp)


def failed(reg: Registration, reason: str) -> None:
    log.warning("context source %s failed: %s", reg.id, reason)
    stamp = iso(now())
    sent = int(reg.runtime.get("timesSent", 0)) + 1
    failed_count = int(reg.runtime.get("timesFailed", 0)) + 1
    reg.runtime.update(status="failed", timesSent=sent, timesFailed=failed_count, lastFailure=stamp)
