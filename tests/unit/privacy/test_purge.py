"""The retention purge on SQLite with a clock the test controls: old rows and files go, held evidence and recent data stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import event_of, observation_of

from cctwin.config import CameraPrivacyConfig, Config, SqliteStoreConfig
from cctwin.messages import ObservationKind
from cctwin.store.media import MediaStore
from cctwin.store.retention import purge_past_retention
from cctwin.store.sql import SqlStore
from cctwin.types import Alert, AlertStatus, EventKind, Severity

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def _config(tmp_path: Path) -> Config:
    return Config.model_validate(
        {
            "store": {"type": "sqlite", "path": str(tmp_path / "db.sqlite")},
            "media": {"path": str(tmp_path / "media")},
            "privacy": {"retention_days": 30},
            "cameras": [
                {"id": "cam-1", "source": {"url": "a.mp4"}},
                {"id": "cam-7", "source": {"url": "b.mp4"}, "privacy": {"retention_days": 7}},
            ],
        }
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return _config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[SqlStore]:
    assert isinstance(config.store, SqliteStoreConfig)
    with SqlStore.open(config.store) as opened:
        yield opened


def _event(camera: str, days_ago: float, frame: int) -> object:
    return event_of(
        kind=EventKind.INTRUSION, camera_id=camera, rule_id="gate", zone_id="gate",
        occurred_at=NOW - timedelta(days=days_ago), frame_index=frame, track_id=1,
        class_name="person", confidence=0.9,
    )  # fmt: skip


def _fill(store: SqlStore, media: MediaStore) -> dict[str, str]:
    """Events, observations and snapshot files, old and recent, on both cameras."""
    ids: dict[str, str] = {}
    for camera, days, name in [
        ("cam-1", 40, "old1"), ("cam-1", 10, "new1"), ("cam-7", 10, "old7"),
        ("cam-7", 2, "new7"), ("cam-1", 45, "held"), ("gone", 40, "gone"),
    ]:  # fmt: skip
        event = _event(camera, days, len(ids) + 1)
        store.add_events([event])  # type: ignore[list-item]
        snap = media.save_snapshot(camera, b"jpeg" * 10, event.occurred_at, event.id)  # type: ignore[attr-defined]
        store.add_media(snap)
        store.add_observations(
            [observation_of(ObservationKind.OCCUPANCY, camera, "gate", event.occurred_at, 3.0)]  # type: ignore[attr-defined]
        )
        ids[name] = event.id  # type: ignore[attr-defined]
        ids[name + ":media"] = snap.id
        ids[name + ":path"] = snap.path
    held_at = NOW - timedelta(days=45)
    store.insert_alert(
        Alert(
            id="a-held", rule_id="gate", camera_id="cam-1", kind=EventKind.INTRUSION,
            severity=Severity.HIGH, status=AlertStatus.NEW, title="intrusion",
            opened_at=held_at, updated_at=held_at, event_ids=(ids["held"],),
            snapshot_id=ids["held:media"],
        )
    )  # fmt: skip
    assert store.set_legal_hold("a-held", True)
    return ids


def test_purge_deletes_past_retention_per_camera_and_keeps_holds(
    store: SqlStore, config: Config
) -> None:
    media = MediaStore(config.media.path)
    ids = _fill(store, media)
    summary = purge_past_retention(store, config, NOW)
    by_camera = {c.camera_id: c for c in summary.cameras}
    assert (by_camera["cam-1"].events, by_camera["cam-1"].media) == (1, 1)
    assert (by_camera["cam-1"].held_events, by_camera["cam-1"].held_media) == (1, 1)
    # cam-7 keeps 7 days: its 10-day-old data goes although cam-1 keeps that age.
    assert (by_camera["cam-7"].events, by_camera["cam-7"].observations) == (1, 1)
    # A camera removed from the config falls back to the default 30 days.
    assert by_camera["gone"].events == 1
    for name in ("old1", "old7", "gone"):
        assert store.get_event(ids[name]) is None
        assert store.get_media(ids[name + ":media"]) is None
        assert not (config.media.path / ids[name + ":path"]).exists()
    for name in ("new1", "new7", "held"):
        assert store.get_event(ids[name]) is not None
        assert store.get_media(ids[name + ":media"]) is not None
        assert (config.media.path / ids[name + ":path"]).exists()
    assert summary.as_dict()["observations"] == 4  # old1, old7, gone and held's (not held)
    again = purge_past_retention(store, config, NOW)
    assert again.total("events") == again.total("media") == 0


def test_dry_run_counts_without_deleting(store: SqlStore, config: Config) -> None:
    ids = _fill(store, MediaStore(config.media.path))
    summary = purge_past_retention(store, config, NOW, dry_run=True)
    assert summary.total("events") == 3
    assert summary.dry_run
    assert store.get_event(ids["old1"]) is not None
    assert (config.media.path / ids["old1:path"]).exists()


def test_released_hold_is_purged_and_clock_decides(store: SqlStore, config: Config) -> None:
    ids = _fill(store, MediaStore(config.media.path))
    assert purge_past_retention(store, config, NOW - timedelta(days=60)).total("events") == 0
    assert store.set_legal_hold("a-held", False)
    purge_past_retention(store, config, NOW)
    assert store.get_event(ids["held"]) is None
    assert store.get_media(ids["held:media"]) is None


def test_unknown_alert_hold_reports_false(store: SqlStore) -> None:
    assert not store.set_legal_hold("nope", True)
    assert CameraPrivacyConfig().retention_days is None


def test_service_task_purges_with_its_clock_and_stops(store: SqlStore, config: Config) -> None:
    import asyncio

    from cctwin.store.retention import purge_periodically

    ids = _fill(store, MediaStore(config.media.path))
    quick = config.model_copy(
        update={"privacy": config.privacy.model_copy(update={"purge_delay_s": 0.0})}
    )

    async def run() -> None:
        stopping = asyncio.Event()
        task = asyncio.create_task(purge_periodically(store, quick, stopping, clock=lambda: NOW))
        for _ in range(200):
            if store.get_event(ids["old1"]) is None:
                break
            await asyncio.sleep(0.05)
        stopping.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    assert store.get_event(ids["old1"]) is None
    assert store.get_event(ids["new1"]) is not None


def test_cli_purge_dry_run_and_hold(store: SqlStore, config: Config, tmp_path: Path) -> None:
    import json

    import yaml
    from typer.testing import CliRunner

    from cctwin.cli import app

    _fill(store, MediaStore(config.media.path))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "purge", "--config", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert report["events"] >= 1  # the real clock: old1 is 40 days before 2026-12-06, or more
    missing = runner.invoke(app, ["retention", "hold", "nope", "--config", str(path)])
    assert missing.exit_code == 1
    held = runner.invoke(app, ["retention", "hold", "a-held", "--config", str(path), "--release"])
    assert held.exit_code == 0, held.output
