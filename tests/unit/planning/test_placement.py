"""Max coverage: MILP at least as good as greedy (and better where greedy is fooled), K refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import box
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.config import Config
from cctwin.planning.candidates import Option
from cctwin.planning.placement import (
    Cells,
    PlacementError,
    build_instance,
    greedy,
    optimality_gap,
    solve_milp,
)
from cctwin.planning.plan import plan_cameras


def _trap() -> tuple[list[Option], Cells]:
    """Six unit cells on a line; the middle option (4 cells) lures greedy away from the two
    3-cell options that cover all six together. A fourth option is dominated at position 0."""
    cells = Cells(np.arange(6, dtype=np.float64), np.zeros(6), np.ones(6))
    strip = {"middle": (0.5, 4.5), "left": (-0.5, 2.5), "right": (2.5, 5.5), "inner": (1.5, 2.5)}
    grounds = {k: box(a, -0.5, b, 0.5) for k, (a, b) in strip.items()}
    options = [
        Option(0, 0.0, 90.0, 30.0, grounds["middle"]),
        Option(1, 0.0, 90.0, 30.0, grounds["left"]),
        Option(2, 0.0, 90.0, 30.0, grounds["right"]),
        Option(0, 90.0, 90.0, 30.0, grounds["inner"]),
    ]
    return options, cells


def test_milp_beats_greedy_where_greedy_is_suboptimal() -> None:
    options, cells = _trap()
    instance = build_instance(options, cells)
    assert instance.sizes["options_kept"] == 3  # the inner strip is dominated by the middle one
    fast = greedy(instance, 2)
    exact = solve_milp(instance, 2, time_limit_s=10)
    assert fast.value_m2 == 5
    assert fast.chosen[0] == 0
    assert exact.value_m2 == 6
    assert sorted(exact.chosen) == [1, 2]
    assert exact.bound_m2 == pytest.approx(6)
    assert optimality_gap(exact.value_m2, exact.bound_m2) == pytest.approx(0, abs=1e-6)
    assert optimality_gap(fast.value_m2, exact.bound_m2) == pytest.approx(1 / 6)


def test_one_option_per_position() -> None:
    options, cells = _trap()
    # Position 1 gets both side strips: together they would cover all six cells.
    options[2] = Option(1, 0.0, 90.0, 30.0, options[2].ground)
    instance = build_instance(options, cells)
    exact = solve_milp(instance, 2, time_limit_s=10)
    positions = [options[i].position for i in exact.chosen]
    assert len(set(positions)) == len(positions)
    assert exact.value_m2 == 5


def test_identical_cells_are_merged_with_their_weights() -> None:
    options, cells = _trap()
    instance = build_instance(options, cells)
    # Cells 0 | 1-2 | 3-4 | 5 differ in who covers them: four groups, weights 1, 2, 2, 1.
    assert instance.sizes["cells_aggregated"] == 4
    assert sorted(instance.weight.tolist()) == [1, 1, 2, 2]


def test_plan_adds_coverage_and_reports_gap_and_greedy(config: Config) -> None:
    report = plan_cameras(config, 2, "roads", time_limit_s=20)
    assert len(report.cameras) == 2
    assert report.after > report.before
    assert report.solver.value_m2 >= report.greedy.value_m2 - 1e-6
    assert report.optimality_gap is not None
    assert 0 <= report.optimality_gap <= 1e-3
    assert report.not_placed == ["unplaced"]
    camera = report.cameras[0]
    assert 0 <= camera.heading_deg < 360
    assert camera.fov_deg in (90.0, 50.0)
    assert camera.footprint["type"] in ("Polygon", "MultiPolygon")


def test_more_cameras_than_candidates_is_refused(config: Config) -> None:
    with pytest.raises(PlacementError, match="candidate positions"):
        plan_cameras(config, 10_000, "roads")


def test_osm_candidates_without_poles_are_refused(config: Config) -> None:
    with pytest.raises(ValueError, match="no street-lamp or pole"):
        plan_cameras(config, 1, "osm")


def test_cli_coverage_json_keys(site_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "blind.geojson"
    result = CliRunner().invoke(
        app, ["twin", "coverage", "--config", str(site_file), "--json", "--geojson", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"covered_fraction", "by_class", "blind_spots", "cameras"} <= set(report)
    assert set(report["by_class"]) == {"roads", "parks", "trails"}
    assert json.loads(out.read_text())["type"] == "FeatureCollection"


def test_cli_plan_json_keys_and_plot(site_file: Path, tmp_path: Path) -> None:
    plot = tmp_path / "plan.png"
    args = ["twin", "plan", "--config", str(site_file), "--add", "1", "--json"]
    result = CliRunner().invoke(app, [*args, "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert {"before", "after", "cameras", "optimality_gap", "greedy", "solver"} <= set(report)
    assert {"lon", "lat", "heading_deg", "fov_deg"} <= set(report["cameras"][0])
    assert plot.stat().st_size > 10_000
    # Without --events the 1 MP camera is ranked by the ground it watches alone.
    assert [(u["camera_id"], u["events"]) for u in report["upgrades"]] == [("down", None)]


def test_cli_plan_refuses_k_too_large_in_one_line(site_file: Path) -> None:
    result = CliRunner().invoke(app, ["twin", "plan", "--config", str(site_file), "--add", "500"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: --add 500 is more than the")
    assert "Traceback" not in result.output
