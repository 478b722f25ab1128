"""Unmasked originals are encrypted at rest and bound to their name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cctwin.messages import MediaReady
from cctwin.store.originals import Originals

FACE = b"\xff\xd8unmasked face pixels\xff\xd9"


def _record(path: str) -> MediaReady:
    return MediaReady(
        camera_id="cam-a",
        kind="snapshot",
        path=path,
        created_at=datetime(2026, 12, 6, tzinfo=UTC),
        bytes=len(FACE),
    )


def test_the_file_on_disk_is_not_the_original_and_reads_back(tmp_path: Path) -> None:
    originals = Originals(tmp_path / "media")
    record = _record("cam-a/2026/snap.jpg")
    stored = originals.save(record, FACE)
    assert FACE not in stored.read_bytes()
    assert originals.read(record) == FACE
    assert originals.key_file.stat().st_mode & 0o777 == 0o600
    # Another process (a worker) with the same key file reads it too.
    assert Originals(tmp_path / "media").read(record) == FACE


def test_a_moved_file_or_another_key_gives_nothing(tmp_path: Path) -> None:
    originals = Originals(tmp_path / "media")
    record, other = _record("cam-a/a.jpg"), _record("cam-a/b.jpg")
    originals.save(record, FACE)
    originals.path_of(record).rename(originals.path_of(other))
    assert originals.read(other) is None
    originals.save(record, FACE)
    stranger = Originals(tmp_path / "media", key_file=tmp_path / "other.key")
    assert stranger.read(record) is None


def test_live_originals_are_sealed_too(tmp_path: Path) -> None:
    originals = Originals(tmp_path / "media")
    originals.save_live("cam-a", FACE)
    assert FACE not in (originals.root / "live" / "cam-a.jpg").read_bytes()
    assert originals.read_live("cam-a") == FACE
