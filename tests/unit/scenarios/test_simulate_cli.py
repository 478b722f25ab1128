"""`cctwin twin simulate` and `cctwin twin scenarios`: JSON keys, stored runs, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cctwin.cli import app

REPO = Path(__file__).resolve().parents[3]
SMALL = REPO / "config" / "scenarios" / "small-egress.yaml"


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "cctwin.yaml"
    path.write_text(
        f"site: {{osm: {REPO / 'config' / 'site' / 'gongdeok.osm'}}}\n"
        f"store: {{type: sqlite, path: {tmp_path / 'db.sqlite'}}}\n"
        f"media: {{path: {tmp_path / 'media'}}}\n"
    )
    return path


def test_simulate_prints_the_summary_and_stores_the_run(tmp_path: Path) -> None:
    config = _config(tmp_path)
    args = ["twin", "simulate", "--scenario", str(SMALL), "--config", str(config), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"wall_s", "simulated_s", "agents", "max_density", "peak_time_s", "zones"} <= set(
        summary
    )
    assert summary["agents"] == 60
    listed = CliRunner().invoke(app, ["twin", "scenarios", "--config", str(config), "--json"])
    runs = json.loads(listed.stdout)
    assert [r["id"] for r in runs] == [summary["run_id"]]
    assert runs[0]["status"] == "done"
    assert (tmp_path / "media" / runs[0]["detail_path"]).is_file()


def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text().replace("over_s: 30", "over_s: soon"))
    args = ["twin", "simulate", "--scenario", str(bad), "--config", str(_config(tmp_path))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "over_s: soon" in t)
    assert f"error: {bad}:{line}: sources.0.over_s:" in result.output
    assert "Traceback" not in result.output
