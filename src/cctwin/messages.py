"""The message contract: one versioned wire model per fact that leaves a worker or the service.

REST, SSE, `analyze` output files and the bus all carry these models, serialised with
pydantic, so no field list is copied by hand anywhere else. Each fact has a deterministic
`id` (the same clip and config always give the same ids), which the bus uses as its
de-duplication key (`Nats-Msg-Id`) and the store as its primary key: at-least-once delivery
then stores every fact exactly once. Every model carries `v`, the contract version; a
consumer refuses a version it does not know. Regions and points travel normalised to [0, 1]
of the analysed image, so any client can draw them over a snapshot of any size.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

Version = Literal[1]
CONTRACT_VERSION: Version = 1

# A box xyxy in [0, 1] of the analysed image's width and height.
Region = tuple[
    Annotated[float, Field(ge=0, le=1)],
    Annotated[float, Field(ge=0, le=1)],
    Annotated[float, Field(ge=0, le=1)],
    Annotated[float, Field(ge=0, le=1)],
]


def stable_id(*parts: object) -> str:
    """A deterministic id of a fact from the values that make it unique."""
    key = "/".join(str(part) for part in parts)
    return uuid.uuid5(uuid.NAMESPACE_URL, f"cctwin:{key}").hex


class WireModel(BaseModel):
    """Base of every wire model: immutable, no unknown fields, bytes as base64 in JSON."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )


class Fact(WireModel):
    """A fact with the contract version and a deterministic id (filled in when absent)."""

    v: Version = CONTRACT_VERSION
    id: str = ""

    def identity(self) -> tuple[object, ...]:
        raise NotImplementedError

    @model_validator(mode="after")
    def _fill_id(self) -> Fact:
        if not self.id:
            # Frozen models cannot be assigned; the id is part of construction, not a change.
            self.__dict__["id"] = stable_id(*self.identity())
        return self


# --- events ------------------------------------------------------------------------------------


class EventKind(StrEnum):
    """What happened; each kind maps to an ONVIF Profile M analytics topic."""

    ZONE_ENTER = "zone_enter"
    ZONE_EXIT = "zone_exit"
    LINE_CROSS = "line_cross"
    LOITERING = "loitering"
    INTRUSION = "intrusion"
    # Safety analytics; the values follow Smart Data Models' camelCase names.
    CROWD_RISK = "crowdRisk"
    BUILDING_FIRE = "buildingFire"
    SMOKE = "smoke"
    FLOOD = "flood"
    FALLEN_PERSON = "fallenPerson"
    # The camera itself: a quality fault (blurred, dark, frozen, covered, moved) raised or cleared.
    CAMERA_HEALTH = "camera_health"
    # A forecast (not an observation) that a zone's crowd will reach a risk band.
    CROWD_RISK_FORECAST = "crowdRiskForecast"

    @property
    def onvif_topic(self) -> str:
        return _ONVIF_TOPICS[self]


_ONVIF_TOPICS = {
    EventKind.ZONE_ENTER: "tns1:RuleEngine/FieldDetector/ObjectsInside",
    EventKind.ZONE_EXIT: "tns1:RuleEngine/FieldDetector/ObjectsInside",
    EventKind.LINE_CROSS: "tns1:RuleEngine/LineDetector/Crossed",
    EventKind.LOITERING: "tns1:RuleEngine/LoiteringDetector/ObjectIsLoitering",
    EventKind.INTRUSION: "tns1:RuleEngine/FieldDetector/ObjectsInside",
    # ONVIF defines no topics for these; vendor topics under the tns1 RuleEngine tree are the
    # common practice (Axis, Hanwha), so integrators can subscribe the same way.
    EventKind.CROWD_RISK: "tns1:RuleEngine/CountAggregation/Counter",
    EventKind.BUILDING_FIRE: "tns1:RuleEngine/FireDetector/Fire",
    EventKind.SMOKE: "tns1:RuleEngine/FireDetector/Smoke",
    EventKind.FLOOD: "tns1:RuleEngine/FloodDetector/Flood",
    EventKind.FALLEN_PERSON: "tns1:RuleEngine/PoseDetector/FallenPerson",
    # ONVIF's image-quality topics live under VideoSource; GlobalSceneChange covers them all.
    EventKind.CAMERA_HEALTH: "tns1:VideoSource/GlobalSceneChange/AnalyticsService",
    EventKind.CROWD_RISK_FORECAST: "tns1:RuleEngine/CountAggregation/CounterForecast",
}


class Direction(StrEnum):
    """Which way an object crossed a line, as named in the line's config."""

    IN = "in"
    OUT = "out"


class ObjectPayload(WireModel):
    """A tracked object and a zone: entry, exit (with its dwell), loitering, intrusion."""

    type: Literal["object"] = "object"
    dwell_s: float | None = Field(None, ge=0, description="Seconds inside the zone.")


class CrossingPayload(WireModel):
    """A tracked object crossed a counting line."""

    type: Literal["crossing"] = "crossing"
    direction: Direction


class CrowdPayload(WireModel):
    """A zone's crowd moved to another band; `value` is its density in persons per m2."""

    type: Literal["crowd"] = "crowd"
    level: str = Field(max_length=32)
    value: float = Field(ge=0)
    region: Region | None = None


class FloodPayload(WireModel):
    """A flood ROI changed status; `value` is the water level in cm, else the covered fraction."""

    type: Literal["flood"] = "flood"
    level: str = Field(max_length=32)
    value: float
    region: Region | None = None


class FirePayload(WireModel):
    """Flame or smoke was seen in `region`."""

    type: Literal["fire"] = "fire"
    region: Region | None = None


class FallPayload(WireModel):
    """A person is down: for `dwell_s` seconds, in `region`."""

    type: Literal["fall"] = "fall"
    dwell_s: float | None = Field(None, ge=0)
    region: Region | None = None


class HealthReason(StrEnum):
    """Why a camera's picture is not fit for use, worst first (the map's colour order)."""

    OFFLINE = "offline"
    COVERED = "covered"
    MOVED = "moved"
    FROZEN = "frozen"
    DARK = "dark"
    BLURRED = "blurred"
    UNDER_2MP = "under_2mp"


class HealthPayload(WireModel):
    """A camera quality fault was raised (`raised`) or cleared: its measure and threshold."""

    type: Literal["health"] = "health"
    reason: HealthReason
    raised: bool
    value: float
    threshold: float

    @property
    def level(self) -> str:
        """`raised` or `cleared`: what alert rules filter on (`levels: [raised]`)."""
        return "raised" if self.raised else "cleared"


class CrowdForecastPayload(WireModel):
    """A forecast, not a measurement: the zone's density is expected to reach `level`."""

    type: Literal["crowd_forecast"] = "crowd_forecast"
    level: str = Field(max_length=32)
    value: float = Field(ge=0, description="Forecast density, persons per m2.")
    horizon_min: int = Field(ge=1)
    target_at: datetime
    low: float = Field(ge=0)
    high: float = Field(ge=0)
    # `statistical`: the time-series forecaster; `simulation`: a JuPedSim look-ahead.
    method: Literal["statistical", "simulation"] = "statistical"


EventPayload = Annotated[
    ObjectPayload
    | CrossingPayload
    | CrowdPayload
    | FloodPayload
    | FirePayload
    | FallPayload
    | HealthPayload
    | CrowdForecastPayload,
    Field(discriminator="type"),
]

PAYLOAD_OF_KIND: dict[EventKind, type[WireModel]] = {
    EventKind.ZONE_ENTER: ObjectPayload,
    EventKind.ZONE_EXIT: ObjectPayload,
    EventKind.LOITERING: ObjectPayload,
    EventKind.INTRUSION: ObjectPayload,
    EventKind.LINE_CROSS: CrossingPayload,
    EventKind.CROWD_RISK: CrowdPayload,
    EventKind.FLOOD: FloodPayload,
    EventKind.BUILDING_FIRE: FirePayload,
    EventKind.SMOKE: FirePayload,
    EventKind.FALLEN_PERSON: FallPayload,
    EventKind.CAMERA_HEALTH: HealthPayload,
    EventKind.CROWD_RISK_FORECAST: CrowdForecastPayload,
}


class Event(Fact):
    """An immutable fact: something happened to an object on a camera at a frame time."""

    kind: EventKind
    camera_id: str = Field(min_length=1, max_length=64)
    rule_id: str = Field(min_length=1, max_length=64)
    occurred_at: datetime
    frame_index: int = Field(0, ge=0, description="1-based frame of the source; 0 if none.")
    track_id: int = -1
    class_name: str = Field(max_length=64)
    confidence: float = Field(ge=0, le=1)
    zone_id: str | None = None
    payload: EventPayload = Field(default_factory=ObjectPayload)
    # When the frame arrived in this process (monotonic clock): for latency measurements only,
    # meaningless on another machine, so it never leaves in JSON.
    detected_monotonic_s: float = Field(0.0, exclude=True)

    def identity(self) -> tuple[object, ...]:
        # The documented key of stored ids: changing it would re-key every stored event.
        return (self.camera_id, self.rule_id, self.kind.value, self.frame_index, self.track_id)

    @model_validator(mode="after")
    def _payload_fits_kind(self) -> Event:
        expected = PAYLOAD_OF_KIND[self.kind]
        if not isinstance(self.payload, expected):
            raise ValueError(
                f"a {self.kind.value} event carries a {expected.__name__}, "
                f"not a {type(self.payload).__name__}"
            )
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        return self

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # `topic` is derived from `kind` and written out for integrators; reading it back in
        # must not fail as an unknown field.
        if isinstance(data, dict) and "topic" in data:
            data = {k: v for k, v in data.items() if k != "topic"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def topic(self) -> str:
        """The ONVIF Profile M analytics topic of this kind."""
        return self.kind.onvif_topic

    # Read-only views of the payload's common fields (None where this kind has none), so
    # consumers that filter or summarise need not switch on the payload type.
    @property
    def dwell_s(self) -> float | None:
        return getattr(self.payload, "dwell_s", None)

    @property
    def direction(self) -> Direction | None:
        return getattr(self.payload, "direction", None)

    @property
    def level(self) -> str | None:
        return getattr(self.payload, "level", None)

    @property
    def value(self) -> float | None:
        return getattr(self.payload, "value", None)

    @property
    def region(self) -> Region | None:
        return getattr(self.payload, "region", None)


# --- observations ----------------------------------------------------------------------------


class ObservationKind(StrEnum):
    """What was measured."""

    OCCUPANCY = "occupancy"
    LINE_COUNT_IN = "line_count_in"
    LINE_COUNT_OUT = "line_count_out"
    CROWD_COUNT = "crowd.count"
    CROWD_DENSITY = "crowd.density"
    CROWD_SPEED = "crowd.speed"
    FLOOD_COVERAGE = "flood.coverage"
    FLOOD_LEVEL = "flood.level"


class Observation(Fact):
    """A measured state of a zone or line at a frame time (for example how many people)."""

    kind: ObservationKind
    camera_id: str = Field(min_length=1, max_length=64)
    rule_id: str = Field(min_length=1, max_length=64)
    observed_at: datetime
    value: float
    class_name: str | None = None
    # Crowd: the band and how the count was made (`detector` or `density`); flood: the status.
    level: str | None = None
    method: str | None = None

    def identity(self) -> tuple[object, ...]:
        return (
            self.camera_id,
            self.rule_id,
            self.kind,
            self.class_name,
            self.observed_at.isoformat(),
        )


# --- camera status -----------------------------------------------------------------------------


class CameraState(StrEnum):
    """Whether frames are arriving from a camera."""

    STARTING = "starting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


class HealthCheck(WireModel):
    """One quality measure of a camera: its value, the threshold it was compared with (None
    while the reference view is still being built) and whether the fault is raised."""

    reason: HealthReason
    measure: str = Field(max_length=32, description="What was measured, e.g. `mean_luma`.")
    value: float
    threshold: float | None
    raised: bool


class CameraHealth(WireModel):
    """A camera's picture quality from its live frames (the quality audit)."""

    measured_at: datetime
    megapixels: float = Field(ge=0)
    reasons: list[HealthReason]
    checks: list[HealthCheck]
    reference_ready: bool = False

    @property
    def worst(self) -> HealthReason | None:
        """The reason the map colours the camera by (HealthReason is ordered worst first)."""
        order = list(HealthReason)
        return min(self.reasons, key=order.index) if self.reasons else None


class CameraStatus(Fact):
    """Health of one camera as its worker (or the service's watchdog) last reported it."""

    camera_id: str = Field(min_length=1, max_length=64)
    state: CameraState
    reported_at: datetime
    fps: float = 0.0
    last_frame_at: datetime | None = None
    frames_decoded: int = 0
    frames_analysed: int = 0
    frames_dropped: int = 0
    frames_corrupt: int = 0
    reconnects: int = 0
    lag_s: float = 0.0
    last_error: str = ""
    # Picture quality (the audit); None where it is not run. Optional, so v=1 readers still read.
    health: CameraHealth | None = None

    def identity(self) -> tuple[object, ...]:
        return (self.camera_id, "status", self.reported_at.isoformat(), self.state)


# --- media -------------------------------------------------------------------------------------


class MediaKind(StrEnum):
    """What a media file is."""

    SNAPSHOT = "snapshot"
    CLIP = "clip"


class MediaReady(Fact):
    """A snapshot or clip written to the media store; `path` is relative, '/'-separated.

    The bytes stay in the media store (a shared folder or object store): the bus carries
    facts, not blobs. `event_id` is the event it is evidence of, if any.
    """

    kind: MediaKind
    camera_id: str = Field(min_length=1, max_length=64)
    path: str
    created_at: datetime
    event_id: str | None = None
    bytes: int = Field(ge=0)

    def identity(self) -> tuple[object, ...]:
        return (self.camera_id, self.kind, self.path)


class LivePreview(WireModel):
    """The latest analysed frame of a camera for the video wall (JPEG, boxes drawn).

    Not a fact: never stored, never replayed; a newer one replaces it.
    """

    v: Version = CONTRACT_VERSION
    camera_id: str
    jpeg: bytes
    captured_at: datetime


class TrackedObject(WireModel):
    """One tracked object's ground anchor (bottom centre of its box) in one frame.

    `x`, `y` are normalised image coordinates; `lon`, `lat` are where that point lies on the
    map when the camera is geo-calibrated. Track ids are per camera and per session: nothing
    that identifies a person leaves the worker.
    """

    track_id: int
    class_name: str
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class ObjectPositions(WireModel):
    """Where a camera's tracked people and vehicles are, at the analysed rate (live only)."""

    v: Version = CONTRACT_VERSION
    camera_id: str
    captured_at: datetime
    objects: list[TrackedObject]


# --- alerts ------------------------------------------------------------------------------------


class AlertChangeKind(StrEnum):
    """Why an AlertChanged was published."""

    OPENED = "opened"
    EXTENDED = "extended"
    MOVED = "moved"
    NOTED = "noted"
    EVIDENCE = "evidence"


class Severity(StrEnum):
    """How bad an alert is (Smart Data Models Alert severity, CAP severity order)."""

    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    """Where an alert is in the operator's workflow."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class NoteView(WireModel):
    """A remark on an alert."""

    author: str
    text: str
    written_at: datetime


class AlertView(WireModel):
    """An alert as operators and integrators see it (REST, SSE and the bus alike)."""

    v: Version = CONTRACT_VERSION
    id: str
    rule_id: str
    camera_id: str
    kind: EventKind
    severity: Severity
    status: AlertStatus
    title: str
    title_ko: str
    title_en: str
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    assignee: str | None
    zone_id: str | None
    class_name: str | None
    event_ids: list[str]
    snapshot_url: str | None
    clip_url: str | None
    notes: list[NoteView]
    allowed_transitions: list[AlertStatus]


class AlertChanged(Fact):
    """An alert as it is now, after `change`; `by` is who caused it (`engine` for events)."""

    change: AlertChangeKind
    by: str
    at: datetime
    alert: AlertView

    def identity(self) -> tuple[object, ...]:
        return (self.alert.id, self.change, self.at.isoformat(), len(self.alert.notes))


class AlertAction(StrEnum):
    """What an operator asks of an alert."""

    TRANSITION = "transition"
    NOTE = "note"


class AlertCommand(Fact):
    """An operator's command on an alert, carrying the acting user."""

    alert_id: str
    action: AlertAction
    by: str = Field(min_length=1, max_length=100)
    issued_at: datetime
    to: str | None = None
    text: str | None = Field(None, max_length=4000)
    command_id: str = Field(default_factory=lambda: uuid.uuid4().hex)

    def identity(self) -> tuple[object, ...]:
        return ("command", self.command_id)


BusFact = Event | Observation | CameraStatus | MediaReady | AlertChanged | AlertCommand
BusMessage = BusFact | LivePreview | ObjectPositions
