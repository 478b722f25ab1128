"""The core vocabulary that crosses module boundaries: frames, detections, events, observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

# The facts are wire models (`cctwin.messages`); they are part of the core vocabulary too.
from cctwin.messages import (
    AlertStatus,
    CameraState,
    CameraStatus,
    Direction,
    Event,
    EventKind,
    Observation,
    ObservationKind,
    Severity,
)

__all__ = [
    "ALERT_TRANSITIONS",
    "Alert",
    "AlertNote",
    "AlertStatus",
    "Analysis",
    "CameraState",
    "CameraStatus",
    "Detections",
    "Direction",
    "Event",
    "EventKind",
    "FloatArray",
    "Frame",
    "Observation",
    "ObservationKind",
    "Severity",
]

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


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the analytics stage produced for one frame."""

    events: list[Event] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)


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
    # `title` is English; the Korean title is kept beside it so both survive a restart.
    title_ko: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in (AlertStatus.RESOLVED, AlertStatus.DISMISSED)
