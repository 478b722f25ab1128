"""Snapshot and clip files under the media folder, written atomically, with their records."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from cctwin.config import MediaConfig
from cctwin.messages import MediaKind, MediaReady

# Camera ids are config Identifiers; checked again here because they become folder names.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


# A stored media file is announced by its MediaReady fact; the record and the fact are one.
MediaRecord = MediaReady


class MediaStore:
    """Files under one folder: `<camera>/<yyyy-mm-dd>/<id>.jpg|.mp4` (UTC date)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_config(cls, config: MediaConfig) -> MediaStore:
        return cls(config.path)

    def save_snapshot(
        self, camera_id: str, jpeg: bytes, at: datetime, event_id: str | None = None
    ) -> MediaRecord:
        """Write a JPEG snapshot; returns its record (store it with SqlStore.add_media)."""
        return self._save(MediaKind.SNAPSHOT, camera_id, jpeg, at, event_id, ".jpg")

    def save_clip(
        self, camera_id: str, mp4: bytes, at: datetime, event_id: str | None = None
    ) -> MediaRecord:
        """Write an MP4 clip; returns its record (store it with SqlStore.add_media)."""
        return self._save(MediaKind.CLIP, camera_id, mp4, at, event_id, ".mp4")

    def path_of(self, record: MediaRecord) -> Path:
        """The file of a record; ValueError if its path would leave the media folder."""
        relative = PurePosixPath(record.path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"media path {record.path!r} is outside the media folder")
        return self.root.joinpath(*relative.parts)

    def _save(
        self,
        kind: MediaKind,
        camera_id: str,
        data: bytes,
        at: datetime,
        event_id: str | None,
        suffix: str,
    ) -> MediaRecord:
        if not _SAFE_NAME.match(camera_id):
            raise ValueError(f"camera id {camera_id!r} cannot name a media folder")
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("media time must be timezone-aware")
        at = at.astimezone(UTC)
        media_id = uuid.uuid4().hex
        relative = PurePosixPath(camera_id, at.date().isoformat(), media_id + suffix)
        record = MediaReady(
            id=media_id,
            kind=kind,
            camera_id=camera_id,
            path=str(relative),
            created_at=at,
            event_id=event_id,
            bytes=len(data),
        )
        target = self.path_of(record)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Readers (the API serving the file) must never see half a file: write aside, then
        # rename, which is atomic within one file system.
        temporary = target.with_name(f".{media_id}{suffix}.tmp")
        try:
            with temporary.open("wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return record
