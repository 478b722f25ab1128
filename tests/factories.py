"""Test builders of wire models: events from flat fields, with the payload their kind takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cctwin.messages import (
    PAYLOAD_OF_KIND,
    CameraState,
    CameraStatus,
    Event,
    EventKind,
    Observation,
    ObservationKind,
)

_PAYLOAD_FIELDS = ("dwell_s", "direction", "level", "value", "region")


def event_of(**fields: Any) -> Event:
    """An Event from flat keyword fields; dwell_s, direction, level, value and region go into
    the payload of the event's kind (missing required ones get plain defaults)."""
    payload_fields = {k: fields.pop(k) for k in _PAYLOAD_FIELDS if k in fields}
    kind = EventKind(fields["kind"])
    model = PAYLOAD_OF_KIND[kind]
    wanted = {k: v for k, v in payload_fields.items() if k in model.model_fields and v is not None}
    defaults = {"direction": "in", "level": "normal", "value": 0.0}
    for name, default in defaults.items():
        if name in model.model_fields and name not in wanted:
            field = model.model_fields[name]
            if field.is_required():
                wanted[name] = default
    return Event(**fields, payload=model(**wanted))


def observation_of(
    kind: ObservationKind,
    camera_id: str,
    rule_id: str,
    observed_at: datetime,
    value: float,
    class_name: str | None = None,
    **fields: Any,
) -> Observation:
    """An Observation from the positional order tests read best."""
    return Observation(
        kind=kind,
        camera_id=camera_id,
        rule_id=rule_id,
        observed_at=observed_at,
        value=value,
        class_name=class_name,
        **fields,
    )


def status_of(
    camera_id: str, state: CameraState, reported_at: datetime, **fields: Any
) -> CameraStatus:
    """A CameraStatus from the positional order tests read best."""
    return CameraStatus(camera_id=camera_id, state=state, reported_at=reported_at, **fields)


def grant(store: Any, name: str, role: str, cameras: str | None = None) -> dict[str, str]:
    """A new API key with `role` (and camera scope) in `store`, as request headers."""
    from cctwin.security import keys
    from cctwin.security.roles import parse_cameras, parse_role

    full, key_id, secret_hash = keys.new_key()
    key = keys.ApiKey(
        name, key_id, secret_hash, parse_role(role), parse_cameras(cameras), datetime.now(UTC)
    )
    store.add_key(key)
    return {"Authorization": f"Bearer {full}"}
