"""The body of POST /api/events: one Event shape per kind, so the document states its payload."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from cctwin.messages import (
    CrossingPayload,
    CrowdForecastPayload,
    CrowdPayload,
    Event,
    EventKind,
    FallPayload,
    FirePayload,
    FloodPayload,
    HealthPayload,
    ObjectPayload,
)

K = EventKind

# The Event wire model ties payload to kind in a validator, which a JSON Schema cannot show;
# these subclasses say it in their types, and the union below is discriminated by `kind`
# (a `oneOf` with a mapping in the document). Each is still an Event: the same validators.


class ObjectEvent(Event):
    """Zone enter and exit, loitering, intrusion: the object's dwell, if any."""

    kind: Literal[K.ZONE_ENTER, K.ZONE_EXIT, K.LOITERING, K.INTRUSION]
    payload: ObjectPayload = Field(default_factory=ObjectPayload)


class CrossingEvent(Event):
    """A counting line crossed."""

    kind: Literal[K.LINE_CROSS]
    payload: CrossingPayload


class CrowdEvent(Event):
    """A zone's crowd moved to another band."""

    kind: Literal[K.CROWD_RISK]
    payload: CrowdPayload


class FloodEvent(Event):
    """A flood ROI changed status."""

    kind: Literal[K.FLOOD]
    payload: FloodPayload


class FireEvent(Event):
    """Flame or smoke seen."""

    kind: Literal[K.BUILDING_FIRE, K.SMOKE]
    payload: FirePayload = Field(default_factory=FirePayload)


class FallEvent(Event):
    """A person is down."""

    kind: Literal[K.FALLEN_PERSON]
    payload: FallPayload = Field(default_factory=FallPayload)


class HealthEvent(Event):
    """A camera quality fault raised or cleared."""

    kind: Literal[K.CAMERA_HEALTH]
    payload: HealthPayload


class CrowdForecastEvent(Event):
    """A zone's crowd is forecast to reach a band."""

    kind: Literal[K.CROWD_RISK_FORECAST]
    payload: CrowdForecastPayload


PostedEvent = Annotated[
    ObjectEvent
    | CrossingEvent
    | CrowdEvent
    | FloodEvent
    | FireEvent
    | FallEvent
    | HealthEvent
    | CrowdForecastEvent,
    Field(discriminator="kind"),
]


def as_event(posted: Event) -> Event:
    """The plain Event (what the bus, the store and the answer carry) of a posted body."""
    return Event.model_validate({name: getattr(posted, name) for name in Event.model_fields})
