"""The purge job's SQL: delete events, observations and media past retention, except held evidence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, delete, func, select, union, update

from cctwin.config import Config
from cctwin.privacy.retention import RetentionPolicy, purge_policies
from cctwin.store.database import Database
from cctwin.store.media import MediaStore
from cctwin.store.originals import Originals
from cctwin.store.rows import ALERT_EVENTS, ALERTS, EVENTS, MEDIA, OBSERVATIONS, aware

log = logging.getLogger(__name__)

# Deletes go in chunks so one purge never holds SQLite's single writer for long.
_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class CameraPurge:
    """What one camera lost (or, in a dry run, would lose) and what legal hold kept."""

    camera_id: str
    cutoff: datetime
    events: int = 0
    observations: int = 0
    media: int = 0
    media_bytes: int = 0
    held_events: int = 0
    held_media: int = 0


@dataclass(slots=True)
class PurgeSummary:
    """One purge run: when, whether it deleted, and per camera what."""

    at: datetime
    dry_run: bool
    cameras: list[CameraPurge] = field(default_factory=list)
    missing_files: int = 0

    def total(self, name: str) -> int:
        return sum(int(getattr(c, name)) for c in self.cameras)

    def as_dict(self) -> dict[str, object]:
        totals = ("events", "observations", "media", "media_bytes", "held_events", "held_media")
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            **{name: self.total(name) for name in totals},
            "missing_files": self.missing_files,
            "cameras": [asdict(c) | {"cutoff": c.cutoff.isoformat()} for c in self.cameras],
        }


def _held_event_ids() -> Select[tuple[str]]:
    """Events of alerts on legal hold."""
    return (
        select(ALERT_EVENTS.c.event_id)
        .join(ALERTS, ALERTS.c.id == ALERT_EVENTS.c.alert_id)
        .where(ALERTS.c.legal_hold.is_(True))
    )


def _held_media_ids() -> Select[tuple[str]]:
    """Media on hold itself, or the snapshot or clip of an alert on hold."""
    held = ALERTS.c.legal_hold.is_(True)
    snapshots = select(ALERTS.c.snapshot_id).where(held, ALERTS.c.snapshot_id.is_not(None))
    clips = select(ALERTS.c.clip_id).where(held, ALERTS.c.clip_id.is_not(None))
    own = select(MEDIA.c.id).where(MEDIA.c.legal_hold.is_(True))
    evidence = select(MEDIA.c.id).where(MEDIA.c.event_id.in_(_held_event_ids()))
    return select(union(snapshots, clips, own, evidence).subquery().c[0])


class RetentionTables(Database):
    """Purging past-retention rows, and the legal-hold flags that stop it."""

    def set_legal_hold(self, alert_id: str, held: bool) -> bool:
        """Put an alert's evidence on legal hold or release it; False if there is no such alert."""
        with self._write() as connection:
            result = connection.execute(
                update(ALERTS).where(ALERTS.c.id == alert_id).values(legal_hold=held)
            )
        return bool(result.rowcount)

    def set_media_hold(self, media_id: str, held: bool) -> bool:
        """Hold or release one media file; False if there is no such record."""
        with self._write() as connection:
            result = connection.execute(
                update(MEDIA).where(MEDIA.c.id == media_id).values(legal_hold=held)
            )
        return bool(result.rowcount)

    def stored_camera_ids(self) -> set[str]:
        """Every camera with events, observations or media stored (removed cameras too)."""
        statement = union(
            select(EVENTS.c.camera_id), select(OBSERVATIONS.c.camera_id), select(MEDIA.c.camera_id)
        )
        with self._engine.connect() as connection:
            return {str(row[0]) for row in connection.execute(statement)}

    def purge(
        self,
        policies: Sequence[RetentionPolicy],
        now: datetime,
        media: MediaStore,
        dry_run: bool = False,
    ) -> PurgeSummary:
        """Delete, per camera, everything recorded before its cut-off that is not held.

        Rows go first and files after, so a crash between leaves orphan files (harmless to
        the API, found again by nobody) rather than rows pointing at missing files.
        """
        now = aware(now, "now")
        summary = PurgeSummary(at=now, dry_run=dry_run)
        for policy in policies:
            camera, missing = self._purge_camera(policy, now, media, dry_run)
            summary.cameras.append(camera)
            summary.missing_files += missing
        return summary

    def _purge_camera(
        self, policy: RetentionPolicy, now: datetime, media: MediaStore, dry_run: bool
    ) -> tuple[CameraPurge, int]:
        cutoff = policy.cutoff(now)
        camera = policy.camera_id
        old_events = and_(EVENTS.c.camera_id == camera, EVENTS.c.occurred_at < cutoff)
        free_events = and_(old_events, EVENTS.c.id.not_in(_held_event_ids()))
        old_media = and_(MEDIA.c.camera_id == camera, MEDIA.c.created_at < cutoff)
        free_media = and_(old_media, MEDIA.c.id.not_in(_held_media_ids()))
        old_observations = and_(
            OBSERVATIONS.c.camera_id == camera, OBSERVATIONS.c.observed_at < cutoff
        )
        with self._write() as connection:
            held_events = _count(connection, EVENTS.c.id, and_(old_events, ~free_events))
            held_media = _count(connection, MEDIA.c.id, and_(old_media, ~free_media))
            files = connection.execute(
                select(MEDIA.c.id, MEDIA.c.path, MEDIA.c.bytes).where(free_media)
            ).all()
            events = _count(connection, EVENTS.c.id, free_events)
            observations = _count(connection, OBSERVATIONS.c.id, old_observations)
            if not dry_run:
                ids = [row.id for row in files]
                for start in range(0, len(ids), _CHUNK):
                    connection.execute(
                        delete(MEDIA).where(MEDIA.c.id.in_(ids[start : start + _CHUNK]))
                    )
                connection.execute(delete(EVENTS).where(free_events))
                connection.execute(delete(OBSERVATIONS).where(old_observations))
        missing = 0 if dry_run else _remove_files(media, [str(row.path) for row in files])
        result = CameraPurge(
            camera_id=camera,
            cutoff=cutoff,
            events=events,
            observations=observations,
            media=len(files),
            media_bytes=sum(int(row.bytes) for row in files),
            held_events=held_events,
            held_media=held_media,
        )
        return result, missing


def _count(connection: Connection, column: ColumnElement[Any], where: ColumnElement[bool]) -> int:
    return int(connection.execute(select(func.count(column)).where(where)).scalar_one())


def _remove_files(media: MediaStore, paths: Sequence[str]) -> int:
    """Unlink the files; returns how many were already gone."""
    missing = 0
    for path in paths:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            log.warning("media path %r is outside the media folder; not removed", path)
            continue
        target = media.root.joinpath(*relative.parts)
        # The unmasked original (masking cameras) goes with its masked copy.
        with contextlib.suppress(OSError):
            Originals(media.root).remove(path)
        try:
            target.unlink()
        except FileNotFoundError:
            missing += 1
            continue
        # An emptied day folder goes too, so old dates do not pile up as empty folders.
        with contextlib.suppress(OSError):
            target.parent.rmdir()
    return missing


def purge_past_retention(
    store: RetentionTables, config: Config, now: datetime, dry_run: bool = False
) -> PurgeSummary:
    """One purge over every camera the config or the store knows."""
    chosen = purge_policies(config, store.stored_camera_ids())
    return store.purge(chosen, now, MediaStore(config.media.path), dry_run)


async def purge_periodically(
    store: RetentionTables,
    config: Config,
    stopping: asyncio.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """The service's purge task: `privacy.purge_delay_s` after start, then every
    `privacy.purge_interval_s`. What each run deleted is logged; the audit writer can take
    the same summary.
    """
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), config.privacy.purge_delay_s)
    while not stopping.is_set():
        try:
            summary = await asyncio.to_thread(purge_past_retention, store, config, clock())
        except Exception:
            # A locked or unreachable database must not end the service; the next run retries.
            log.exception("retention purge failed")
        else:
            if summary.total("events") or summary.total("media") or summary.total("observations"):
                log.warning("retention purge: %s", summary.as_dict())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), config.privacy.purge_interval_s)
