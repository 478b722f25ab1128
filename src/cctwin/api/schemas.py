"""API shapes: pages and commands around the wire models, and the camera view."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from cctwin.config import CameraConfig, PlacementConfig
from cctwin.messages import (
    AlertStatus,
    AlertView,
    CameraHealth,
    CameraState,
    CameraStatus,
    Event,
    Observation,
)

# Events, observations and alerts are served as their wire models (cctwin.messages): the
# same JSON on REST, SSE, the bus and in `analyze` output files.
EventRead = Event
ObservationRead = Observation
AlertRead = AlertView


class EventPageRead(BaseModel):
    items: list[Event]
    next_cursor: str | None


class AlertDetailRead(AlertView):
    events: list[Event]


class AlertPageRead(BaseModel):
    items: list[AlertView]
    next_cursor: str | None


class TransitionCreate(BaseModel):
    to: AlertStatus
    by: str | None = Field(
        None, max_length=100, description="Ignored: the authenticated user is recorded."
    )
    note: str | None = Field(None, max_length=4000)


class NoteCreate(BaseModel):
    author: str | None = Field(
        None, max_length=100, description="Ignored: the authenticated user is recorded."
    )
    text: str = Field(min_length=1, max_length=4000)


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
    # Picture quality from the audit (resolution, faults with measure and threshold).
    health: CameraHealth | None = None


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
        health=status.health,
    )
