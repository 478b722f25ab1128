"""Reference views kept between runs: round trip, unreadable files, use by sink and CLI."""

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from test_commands import clip, config  # noqa: F401  (fixture and helper)
from test_measures import scene
from test_sink import CONFIG, Collect, step
from typer.testing import CliRunner

from cctwin.camerahealth.audit import CameraAuditor
from cctwin.camerahealth.reference import load_reference, reference_path, save_reference
from cctwin.camerahealth.sink import HealthSink
from cctwin.cli import app
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.config.loader import parse_config
from cctwin.loop import CameraRuntime
from cctwin.workers import camera_status

START = datetime(2026, 12, 6, tzinfo=UTC)
FAST = CameraHealthConfig(reference_s=2)


def built() -> CameraAuditor:
    auditor = CameraAuditor(FAST)
    for t in range(3):
        auditor.update(scene(0), float(t), START)
    assert auditor.reference is not None
    return auditor


def test_round_trip(tmp_path: Path) -> None:
    reference = built().reference
    assert reference is not None
    path = reference_path(tmp_path, "cam")
    save_reference(reference, path)
    loaded = load_reference(path)
    assert loaded is not None
    assert loaded.luma == reference.luma
    assert loaded.view.width == reference.view.width
    assert np.array_equal(loaded.view.points, reference.view.points)
    assert loaded.view.descriptors is not None
    assert reference.view.descriptors is not None
    assert np.array_equal(loaded.view.descriptors, reference.view.descriptors)


def test_missing_or_broken_files_are_ignored(tmp_path: Path) -> None:
    assert load_reference(tmp_path / "none.npz") is None
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not numpy")
    assert load_reference(broken) is None


def test_a_stored_reference_is_used_at_once_and_another_size_is_dropped() -> None:
    reference = built().reference
    auditor = CameraAuditor(FAST, reference)
    assert auditor.update(scene(0), 0.0, START).health.reference_ready
    other = CameraAuditor(FAST, reference)
    other.update(np.zeros((100, 160), np.uint8), 0.0, START)
    assert other.reference is None


def test_the_sink_keeps_the_reference_and_a_restart_reuses_it(tmp_path: Path) -> None:
    camera = parse_config(CONFIG).cameras[0]
    for run in range(2):
        sink = HealthSink(FAST, Collect(), camera_status, tmp_path)
        runtime = CameraRuntime(camera)
        sink.on_step(runtime, step(0.0, scene(0)))
        assert runtime.health is not None
        assert runtime.health.reference_ready is (run == 1)
        for t in (1.0, 2.0):
            sink.on_step(runtime, step(t, scene(0)))
    assert reference_path(tmp_path, "trail").is_file()


def test_cli_saves_then_uses_the_reference(tmp_path: Path, clip: Path) -> None:  # noqa: F811
    path = config(tmp_path, clip)
    media = tmp_path / "media"
    path.write_text(path.read_text() + f"media: {{path: {media}}}\n")
    args = ["cameras", "audit", "--config", str(path), "--seconds", "3", "--json"]
    first = CliRunner().invoke(app, [*args, "--save-reference"])
    assert first.exit_code == 0, first.output
    assert {r["camera_id"]: r["reference"] for r in json.loads(first.stdout)}["park"] == "saved"
    second = CliRunner().invoke(app, args)
    rows = {r["camera_id"]: r for r in json.loads(second.stdout)}
    assert rows["park"]["reference"] == "stored"
    assert rows["trail"]["reference"] == "this run"
