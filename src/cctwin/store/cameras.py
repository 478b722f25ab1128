"""Camera status and media rows in SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    select,
)

from cctwin.store.database import Database
from cctwin.store.media import MediaRecord
from cctwin.store.rows import (
    CAMERA_STATUS,
    MEDIA,
    aware,
)
from cctwin.types import (
    CameraState,
    CameraStatus,
)


class CameraTables(Database):
    """The camera_status and media tables."""

    # --- cameras -----------------------------------------------------------------------------

    def save_camera_status(self, status: CameraStatus) -> None:
        """Insert or replace a camera's status (one row per camera)."""
        row = {
            "camera_id": status.camera_id,
            "state": status.state.value,
            "reported_at": aware(status.reported_at, "reported_at"),
            "fps": status.fps,
            "last_frame_at": status.last_frame_at,
            "frames_decoded": status.frames_decoded,
            "frames_analysed": status.frames_analysed,
            "frames_dropped": status.frames_dropped,
            "frames_corrupt": status.frames_corrupt,
            "reconnects": status.reconnects,
            "lag_s": status.lag_s,
            "last_error": status.last_error,
        }
        statement = self._insert(CAMERA_STATUS).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["camera_id"],
            set_={name: statement.excluded[name] for name in row if name != "camera_id"},
        )
        with self._write() as connection:
            connection.execute(statement)

    def camera_statuses(self) -> list[CameraStatus]:
        """Every camera's last reported status, by camera id."""
        statement = select(CAMERA_STATUS).order_by(CAMERA_STATUS.c.camera_id)
        with self._engine.connect() as connection:
            return [
                CameraStatus(
                    camera_id=row.camera_id,
                    state=CameraState(row.state),
                    reported_at=row.reported_at,
                    fps=row.fps,
                    last_frame_at=row.last_frame_at,
                    frames_decoded=row.frames_decoded,
                    frames_analysed=row.frames_analysed,
                    frames_dropped=row.frames_dropped,
                    frames_corrupt=row.frames_corrupt,
                    reconnects=row.reconnects,
                    lag_s=row.lag_s,
                    last_error=row.last_error,
                )
                for row in connection.execute(statement)
            ]

    # --- media -------------------------------------------------------------------------------

    def add_media(self, record: MediaRecord) -> None:
        self.add_media_records([record])

    def add_media_records(self, records: Sequence[MediaRecord]) -> int:
        """Store media rows, skipping ids already stored; returns how many were new."""
        if not records:
            return 0
        rows = [
            record.model_dump(mode="json", exclude={"v"})
            | {"created_at": aware(record.created_at, "created_at")}
            for record in records
        ]
        statement = (
            self._insert(MEDIA).on_conflict_do_nothing(index_elements=["id"]).returning(MEDIA.c.id)
        )
        with self._write() as connection:
            return len(connection.execute(statement, rows).all())

    def get_media(self, media_id: str) -> MediaRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(MEDIA).where(MEDIA.c.id == media_id)).first()
        if row is None:
            return None
        # legal_hold (0006) is the store's, not the wire model's.
        return MediaRecord.model_validate(
            {k: v for k, v in row._asdict().items() if k != "legal_hold"}
        )
