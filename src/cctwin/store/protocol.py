"""What each subscriber needs of the store and the media files: the store boundaries.

`SqlStore` (SQLite or PostgreSQL) implements both stores and `MediaStore` the media files;
a subscriber depends only on the part it uses, so another backend (an object store for
media, a time-series store for observations) replaces one part at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cctwin.messages import CameraStatus, Event, MediaReady, Observation
from cctwin.types import Alert, AlertStatus


class FactStore(Protocol):
    """Where the store writer puts facts; every add skips ids it already has."""

    def add_events(self, events: Sequence[Event]) -> int: ...

    def add_observations(self, observations: Sequence[Observation]) -> int: ...

    def add_media_records(self, records: Sequence[MediaReady]) -> int: ...

    def save_camera_status(self, status: CameraStatus) -> None: ...


class AlertStore(Protocol):
    """What the alert service reads and writes."""

    def open_alerts(self) -> list[Alert]: ...

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def insert_alert(self, alert: Alert) -> None: ...

    def save_alert(
        self, alert: Alert, transition: tuple[AlertStatus, AlertStatus, str] | None = None
    ) -> None: ...

    def alert_of_event(self, event_id: str) -> str | None: ...

    def get_media(self, media_id: str) -> MediaReady | None: ...


class MediaFiles(Protocol):
    """Snapshot and clip files; each save returns the MediaReady fact that announces it."""

    def save_snapshot(
        self, camera_id: str, jpeg: bytes, at: datetime, event_id: str | None = None
    ) -> MediaReady: ...

    def save_clip(
        self, camera_id: str, mp4: bytes, at: datetime, event_id: str | None = None
    ) -> MediaReady: ...

    def path_of(self, record: MediaReady) -> Path: ...
