"""`cctwin eval tracking/detection/water` on unusable input: one line and exit 2, or a score."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctwin.cli import app

ROW = "1,1,10,10,20,40,1,1,1\n"


@pytest.mark.parametrize("command", ["tracking", "detection"])
@pytest.mark.parametrize(
    ("gt", "result", "frames", "message"),
    [
        ("", ROW, None, "no ground-truth rows"),
        (ROW, ROW, "5:9", "no ground-truth rows in frames 5:9"),
        ("garbage\n", ROW, None, "not a MOT row"),
        (None, ROW, None, "no such file"),
    ],
)
def test_bad_mot_input_is_one_line(
    tmp_path: Path, command: str, gt: str | None, result: str, frames: str | None, message: str
) -> None:
    gt_path, result_path = tmp_path / "gt.txt", tmp_path / "result.txt"
    if gt is not None:
        gt_path.write_text(gt)
    result_path.write_text(result)
    option = "--tracks" if command == "tracking" else "--detections"
    args = ["eval", command, "--gt", str(gt_path), option, str(result_path)]
    outcome = CliRunner().invoke(app, args + (["--frames", frames] if frames else []))
    assert outcome.exit_code == 2
    assert message in outcome.output
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit)


def test_an_empty_tracker_output_is_scored_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "gt.txt").write_text(ROW)
    (tmp_path / "tracks.txt").write_text("")
    args = ["eval", "tracking", "--gt", str(tmp_path / "gt.txt"), "--json"]
    outcome = CliRunner().invoke(app, [*args, "--tracks", str(tmp_path / "tracks.txt")])
    assert outcome.exit_code == 0, outcome.output
    assert '"recall": 0.0' in outcome.output
