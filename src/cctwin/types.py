"""The core vocabulary that crosses module boundaries: frames, detections, events, observations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded image from one camera, scaled for analysis.

    `index` is the 1-based position of the frame among all frames decoded from the source,
    so sampled frames keep their place in the original video. `captured_at` comes from the
    stream's timestamps, never from the wall clock, so a clip always yields the same events.
    `scale` converts analysis pixels back to source pixels (source = image * scale).
    """

    camera_id: str
    index: int
    captured_at: datetime
    stream_time_s: float
    image: npt.NDArray[np.uint8]
    scale: float = 1.0
    received_monotonic_s: float = 0.0

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Detections:
    """All objects found in one frame, stored column-wise (one row per object).

    Boxes are pixel xyxy in the frame's analysis image. `class_id` indexes the COCO-80
    label table in `cctwin.detect.labels`. `track_id` is -1 until a tracker assigns ids.
    `embedding` is an optional appearance vector per row (n, d); d = 0 when the detector
    gives none.
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: npt.NDArray[np.int32]
    track_id: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    embedding: FloatArray = field(default_factory=lambda: np.empty((0, 0), np.float32))

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.shape != (n, 4) or len(self.confidence) != n or len(self.class_id) != n:
            raise ValueError("Detections columns must have the same number of rows")
        if len(self.track_id) == 0 and n:
            object.__setattr__(self, "track_id", np.full(n, -1, np.int64))
        elif len(self.track_id) != n:
            raise ValueError("track_id must have one entry per row")
        if self.embedding.size == 0 and self.embedding.shape != (n, 0):
            # No appearance: (n, 0) keeps row selection working like every other column.
            object.__setattr__(self, "embedding", np.empty((n, 0), np.float32))
        elif self.embedding.ndim != 2 or len(self.embedding) != n:
            raise ValueError("embedding must have one row per object")

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            xyxy=np.empty((0, 4), np.float32),
            confidence=np.empty(0, np.float32),
            class_id=np.empty(0, np.int32),
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, rows: npt.NDArray[np.bool_] | npt.NDArray[np.intp] | slice) -> Detections:
        """Select rows, numpy-style: `dets[dets.confidence > 0.5]`."""
        return Detections(
            xyxy=self.xyxy[rows],
            confidence=self.confidence[rows],
            class_id=self.class_id[rows],
            track_id=self.track_id[rows],
            embedding=self.embedding[rows],
        )

    def scaled(self, factor: float) -> Detections:
        """The same objects with boxes multiplied by `factor` (analysis -> source pixels)."""
        return Detections(
            xyxy=(self.xyxy * np.float32(factor)).astype(np.float32),
            confidence=self.confidence,
            class_id=self.class_id,
            track_id=self.track_id,
            embedding=self.embedding,
        )

    def anchors(self) -> FloatArray:
        """Ground contact point of each box (bottom centre), where zones and lines are tested."""
        x = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2
        return np.stack([x, self.xyxy[:, 3]], axis=1).astype(np.float32)


class EventKind(StrEnum):
    """What happened; each kind maps to an ONVIF Profile M analytics topic."""

    ZONE_ENTER = "zone_enter"
    ZONE_EXIT = "zone_exit"
    LINE_CROSS = "line_cross"
    LOITERING = "loitering"
    INTRUSION = "intrusion"
    # Safety analytics; the values follow the issue's names (and Smart Data Models' camelCase).
    CROWD_RISK = "crowdRisk"
    BUILDING_FIRE = "buildingFire"
    SMOKE = "smoke"
    FLOOD = "flood"
    FALLEN_PERSON = "fallenPerson"

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
}


class Direction(StrEnum):
    """Which way an object crossed a line, as named in the line's config."""

    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class Event:
    """An immutable fact: something happened to an object on a camera at a frame time."""

    kind: EventKind
    camera_id: str
    rule_id: str
    occurred_at: datetime
    frame_index: int
    track_id: int
    class_name: str
    confidence: float
    zone_id: str | None = None
    direction: Direction | None = None
    dwell_s: float | None = None
    detected_monotonic_s: float = 0.0
    # Safety analytics: the level moved to (crowd band, flood status), the measured value
    # (persons per m2, cm of water), and the image region (analysis pixels, xyxy).
    level: str | None = None
    value: float | None = None
    region: tuple[float, float, float, float] | None = None

    @property
    def id(self) -> str:
        """Stable id: the same clip and config always give the same event ids."""
        key = f"{self.camera_id}/{self.rule_id}/{self.kind}/{self.frame_index}/{self.track_id}"
        return uuid.uuid5(uuid.NAMESPACE_URL, f"cctwin:{key}").hex


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


@dataclass(frozen=True, slots=True)
class Observation:
    """A measured state of a zone or line at a frame time (for example how many people)."""

    kind: ObservationKind
    camera_id: str
    rule_id: str
    observed_at: datetime
    value: float
    class_name: str | None = None
    # Crowd: the band and how the count was made (`detector` or `density`); flood: the status.
    level: str | None = None
    method: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the analytics stage produced for one frame."""

    events: list[Event] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)


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


# The workflow as data: every legal move; anything else is refused (HTTP 409).
ALERT_TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset(
        {AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED, AlertStatus.DISMISSED}
    ),
    AlertStatus.ACKNOWLEDGED: frozenset(
        {AlertStatus.ESCALATED, AlertStatus.RESOLVED, AlertStatus.DISMISSED}
    ),
    AlertStatus.ESCALATED: frozenset({AlertStatus.RESOLVED, AlertStatus.DISMISSED}),
    AlertStatus.RESOLVED: frozenset(),
    AlertStatus.DISMISSED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class AlertNote:
    """A remark an operator added to an alert."""

    author: str
    text: str
    written_at: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    """A workflow item an operator must handle, opened by one or more events."""

    id: str
    rule_id: str
    camera_id: str
    kind: EventKind
    severity: Severity
    status: AlertStatus
    title: str
    opened_at: datetime
    updated_at: datetime
    event_ids: tuple[str, ...]
    zone_id: str | None = None
    class_name: str | None = None
    assignee: str | None = None
    closed_at: datetime | None = None
    snapshot_id: str | None = None
    clip_id: str | None = None
    notes: tuple[AlertNote, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status not in (AlertStatus.RESOLVED, AlertStatus.DISMISSED)


class CameraState(StrEnum):
    """Whether frames are arriving from a camera."""

    STARTING = "starting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """Health of one camera as its worker last reported it."""

    camera_id: str
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
