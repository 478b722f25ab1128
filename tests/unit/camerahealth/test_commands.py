"""`cctwin cameras audit`: a row per camera, offline with its reason, not placed, exit 0."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_measures import scene
from typer.testing import CliRunner

from cctwin.cli import app


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Eight seconds of a still scene with sensor noise, 320 x 240 at 5 fps."""
    path = tmp_path / "still.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (320, 240))
    rng = np.random.default_rng(0)
    base = scene(0).astype(np.float32)
    for _ in range(40):
        grey = np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)
        writer.write(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def config(tmp_path: Path, clip: Path) -> Path:
    path = tmp_path / "cameras.yaml"
    path.write_text(f"""
cameras:
  - id: park
    source: {{url: {clip}}}
    placement: {{lon: 126.95, lat: 37.54}}
  - id: trail
    source: {{url: "rtsp://127.0.0.1:9/none", open_timeout_s: 1, reconnect: {{max_attempts: 1}}}}
""")
    return path


def test_audit_rows_for_a_file_and_a_broken_url(tmp_path: Path, clip: Path) -> None:
    args = ["cameras", "audit", "--config", str(config(tmp_path, clip)), "--seconds", "4"]
    outcome = CliRunner().invoke(app, [*args, "--json"])
    assert outcome.exit_code == 0, outcome.output
    rows = {row["camera_id"]: row for row in json.loads(outcome.stdout)}
    park, trail = rows["park"], rows["trail"]
    assert park["megapixels"] == pytest.approx(0.077, abs=0.001)
    assert park["reasons"] == ["under_2mp"]
    assert park["placement"] != "not placed"
    assert {c["measure"] for c in park["health"]["checks"]} >= {"mean_luma", "frame_change"}
    assert trail["reasons"] == ["offline"]
    assert "Connection refused" in trail["error"]
    assert trail["placement"] == "not placed"


def test_audit_table_without_json(tmp_path: Path, clip: Path) -> None:
    args = ["cameras", "audit", "--config", str(config(tmp_path, clip)), "--seconds", "2"]
    outcome = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert outcome.exit_code == 0, outcome.output
    assert "not placed" in outcome.stdout
    assert "offline" in outcome.stdout


def test_audit_of_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("cameras: [{id: x}]\n")
    outcome = CliRunner().invoke(app, ["cameras", "audit", "--config", str(path)])
    assert outcome.exit_code == 2
    assert "Traceback" not in outcome.output


def test_eval_without_the_data_is_exit_2(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["eval", "camera-faults", "--data", str(tmp_path)])
    assert outcome.exit_code == 2
    assert "no such clip" in outcome.output
