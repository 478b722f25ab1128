"""The ContextSourceIdentity of this broker (CIM 009 V1.9 clause 5.2.40)."""

from __future__ import annotations

import uuid
from datetime import datetime

from cctwin.ngsi.entities import Json, iso, now


def source_identity(name: str, tenant: str | None, started_at: datetime) -> Json:
    """Alias, uptime and clock of this context source. The alias is the broker's Via name,
    with the tenant after it: Table 5.2.40-1 has it identify one tenant of a source."""
    alias = name if not tenant else f"{name}.{tenant}"
    uptime = max((now() - started_at).total_seconds(), 0.0)
    return {
        "id": f"urn:ngsi-ld:ContextSource:{uuid.uuid5(uuid.NAMESPACE_URL, alias)}",
        "type": "ContextSourceIdentity",
        "contextSourceAlias": alias,
        "contextSourceUptime": f"PT{uptime:.3f}S",
        "contextSourceTimeAt": iso(now()),
    }
