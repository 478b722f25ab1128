"""The fault evaluation on real footage (../shared/data): every clear fault found, nothing raised
on clean footage. The mild strengths are there to show the thresholds and may be missed."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctwin.cli import app

DATA = Path(__file__).resolve().parents[4] / "shared/data"
CLIP = DATA / "people-walking/people-walking.mp4"
MILD = {"gain:0.5", "shift:0.03", "shift:0.02+4deg"}


@pytest.mark.slow
@pytest.mark.skipif(not CLIP.is_file(), reason=f"{CLIP} is absent (../shared/data)")
def test_faults_on_the_tuning_clip_are_found_and_clean_footage_raises_nothing() -> None:
    args = ["eval", "camera-faults", "--data", str(DATA), "--split", "tuning"]
    outcome = CliRunner().invoke(app, [*args, "--clean-hours", "0.02", "--json"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.stdout)
    for fault in report["faults"]:
        missed = {name.split(" ", 1)[1] for name in fault["missed"]}
        assert missed <= MILD, fault
    assert all(r["precision"] in (None, 1.0) for r in report["reasons"])
    assert all(c["alarms"] == 0 for c in report["clean"])
    assert report["cost_ms_1080p"] > 0
