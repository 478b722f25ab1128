"""Wire models (XRead / XCreate) and the functions that shape domain objects into them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from cctwin.alerts.workflow import allowed_transitions
from cctwin.config import CameraConfig, PlacementConfig
from cctwin.types import (
    Alert,
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


class EventRead(BaseModel):
    id: str
    kind: EventKind
    topic: str
    camera_id: str
    rule_id: str
    zone_id: str | None
    occurred_at: datetime
    frame: int
    track_id: int
    class_name: str
    confidence: float
    direction: Direction | None = None
    dwell_s: float | None = None
    level: str | None = None
    value: float | None = None
    region: list[float] | None = Field(None, description="Image region xyxy, analysis pixels.")


class EventPageRead(BaseModel):
    items: list[EventRead]
    next_cursor: str | None


class EventCreate(BaseModel):
    """An event posted by an integrator or a test (only when injection is enabled)."""

    kind: EventKind
    camera_id: str
    rule_id: str
    zone_id: str | None = None
    occurred_at: datetime
    frame: int = Field(1, ge=0)
    track_id: int = 0
    class_name: str = "person"
    confidence: float = Field(1.0, ge=0, le=1)
    direction: Direction | None = None
    dwell_s: float | None = None
    level: str | None = Field(None, max_length=32)
    value: float | None = None
    region: list[float] | None = Field(None, min_length=4, max_length=4)


class NoteRead(BaseModel):
    author: str
    text: str
    written_at: datetime


class AlertRead(BaseModel):
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
    notes: list[NoteRead]
    allowed_transitions: list[AlertStatus]


class AlertDetailRead(AlertRead):
    events: list[EventRead]


class AlertPageRead(BaseModel):
    items: list[AlertRead]
    next_cursor: str | None


class TransitionCreate(BaseModel):
    to: AlertStatus
    by: str = Field("operator", min_length=1, max_length=100)
    note: str | None = Field(None, max_length=4000)


class NoteCreate(BaseModel):
    author: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=4000)


class ObservationRead(BaseModel):
    kind: ObservationKind
    camera_id: str
    rule_id: str
    observed_at: datetime
    value: float
    class_name: str | None = None
    level: str | None = None
    method: str | None = Field(None, description="How a crowd count was made: detector, density.")


class CameraRead(BaseModel):
    id: str
    name: str
    state: CameraState
    fps: float
    last_frame_at: datetime | None
    reconnects: int
    lag_s: float
    frames_decoded: int
    frames_analysed: int
    frames_dropped: int
    frames_corrupt: int
    last_error: str
    placement: PlacementConfig | None
    zones: list[str]
    lines: list[str]
    # Operators' names of zones and lines by id (those that have one), for labels.
    place_names: dict[str, str] = {}


def event_read(event: Event) -> EventRead:
    return EventRead(
        id=event.id,
        kind=event.kind,
        topic=event.kind.onvif_topic,
        camera_id=event.camera_id,
        rule_id=event.rule_id,
        zone_id=event.zone_id,
        occurred_at=event.occurred_at,
        frame=event.frame_index,
        track_id=event.track_id,
        class_name=event.class_name,
        confidence=event.confidence,
        direction=event.direction,
        dwell_s=event.dwell_s,
        level=event.level,
        value=event.value,
        region=None if event.region is None else list(event.region),
    )


def observation_read(observation: Observation) -> ObservationRead:
    return ObservationRead(
        kind=observation.kind,
        camera_id=observation.camera_id,
        rule_id=observation.rule_id,
        observed_at=observation.observed_at,
        value=observation.value,
        class_name=observation.class_name,
        level=observation.level,
        method=observation.method,
    )


def alert_read(alert: Alert, titles: dict[str, str]) -> AlertRead:
    return AlertRead(
        id=alert.id,
        rule_id=alert.rule_id,
        camera_id=alert.camera_id,
        kind=alert.kind,
        severity=alert.severity,
        status=alert.status,
        title=alert.title,
        title_ko=titles.get("ko", alert.title),
        title_en=titles.get("en", alert.title),
        opened_at=alert.opened_at,
        updated_at=alert.updated_at,
        closed_at=alert.closed_at,
        assignee=alert.assignee,
        zone_id=alert.zone_id,
        class_name=alert.class_name,
        event_ids=list(alert.event_ids),
        snapshot_url=f"/api/snapshots/{alert.snapshot_id}.jpg" if alert.snapshot_id else None,
        clip_url=f"/api/clips/{alert.clip_id}.mp4" if alert.clip_id else None,
        notes=[
            NoteRead(author=n.author, text=n.text, written_at=n.written_at) for n in alert.notes
        ],
        allowed_transitions=allowed_transitions(alert),
    )


def camera_read(camera: CameraConfig, status: CameraStatus) -> CameraRead:
    return CameraRead(
        id=camera.id,
        name=camera.name or camera.id,
        state=status.state,
        fps=status.fps,
        last_frame_at=status.last_frame_at,
        reconnects=status.reconnects,
        lag_s=status.lag_s,
        frames_decoded=status.frames_decoded,
        frames_analysed=status.frames_analysed,
        frames_dropped=status.frames_dropped,
        frames_corrupt=status.frames_corrupt,
        last_error=status.last_error,
        placement=camera.placement,
        zones=[z.id for z in camera.analytics.zones],
        lines=[line.id for line in camera.analytics.lines],
        place_names=camera.analytics.place_names(),
    )
