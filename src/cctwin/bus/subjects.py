"""Documented subjects of the bus and the JSON codec of the wire models on them.

    cctwin.v1.events.<camera>.<kind>     Event
    cctwin.v1.observations.<camera>      Observation
    cctwin.v1.status.<camera>            CameraStatus
    cctwin.v1.media.<camera>             MediaReady (snapshot, clip)
    cctwin.v1.alerts.<alert_id>          AlertChanged
    cctwin.v1.commands.<alert_id>        AlertCommand (operator commands, with the user)
    cctwin.v1.live.<camera>              LivePreview (not a fact: never stored or replayed)
    cctwin.v1.positions.<camera>         ObjectPositions (tracked objects on the map; live only)

A camera id may contain '.', which NATS reads as a token separator, so it is escaped as
'%2E' (and '%' as '%25') inside a subject.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from cctwin.messages import (
    AlertChanged,
    AlertCommand,
    BusMessage,
    CameraStatus,
    Event,
    LivePreview,
    MediaReady,
    ObjectPositions,
    Observation,
)

PREFIX = "cctwin.v1"
FACTS = ("events", "observations", "status", "media", "alerts", "commands")
# What JetStream keeps: every fact, never the live previews.
STREAM_SUBJECTS = tuple(f"{PREFIX}.{fact}.>" for fact in FACTS)
LIVE = f"{PREFIX}.live.>"
POSITIONS = f"{PREFIX}.positions.>"
EVERYTHING = f"{PREFIX}.>"

_MODEL_OF_FACT: dict[str, type[BaseModel]] = {
    "events": Event,
    "observations": Observation,
    "status": CameraStatus,
    "media": MediaReady,
    "alerts": AlertChanged,
    "commands": AlertCommand,
    "live": LivePreview,
    "positions": ObjectPositions,
}


class MalformedMessageError(ValueError):
    """A message on the bus that is not a wire model of a known version (counted, skipped)."""


def token(text: str) -> str:
    """Text made safe as one subject token."""
    return text.replace("%", "%25").replace(".", "%2E").replace(" ", "%20") or "_"


def subject_of(message: BusMessage) -> str:
    """The subject a message is published on."""
    if isinstance(message, Event):
        return f"{PREFIX}.events.{token(message.camera_id)}.{token(message.kind.value)}"
    if isinstance(message, Observation):
        return f"{PREFIX}.observations.{token(message.camera_id)}"
    if isinstance(message, CameraStatus):
        return f"{PREFIX}.status.{token(message.camera_id)}"
    if isinstance(message, MediaReady):
        return f"{PREFIX}.media.{token(message.camera_id)}"
    if isinstance(message, AlertChanged):
        return f"{PREFIX}.alerts.{token(message.alert.id)}"
    if isinstance(message, AlertCommand):
        return f"{PREFIX}.commands.{token(message.alert_id)}"
    if isinstance(message, ObjectPositions):
        return f"{PREFIX}.positions.{token(message.camera_id)}"
    return f"{PREFIX}.live.{token(message.camera_id)}"


def encode(message: BusMessage) -> bytes:
    """The message as the JSON of its wire model."""
    return message.model_dump_json().encode()


def decode(subject: str, data: bytes) -> BusMessage:
    """The wire model of a subject's JSON body; MalformedMessageError when it is not one."""
    parts = subject.split(".")
    model = _MODEL_OF_FACT.get(parts[2]) if len(parts) > 3 and subject.startswith(PREFIX) else None
    if model is None:
        raise MalformedMessageError(f"no wire model is published on {subject!r}")
    try:
        body: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessageError(f"not JSON: {exc}") from None
    if isinstance(body, dict) and body.get("v") != 1:
        raise MalformedMessageError(f"unknown contract version {body.get('v')!r}")
    try:
        message: BusMessage = model.model_validate(body)  # type: ignore[assignment]
    except ValidationError as exc:
        raise MalformedMessageError(f"invalid {model.__name__}: {exc.errors()[0]['msg']}") from None
    return message


def matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: '*' is one token, a final '>' is one or more tokens."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, part in enumerate(wanted):
        if part == ">":
            return len(tokens) > index
        if index >= len(tokens) or (part != "*" and part != tokens[index]):
            return False
    return len(tokens) == len(wanted)
