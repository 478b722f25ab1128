"""SWMM runs on the grid: the design rain stays in the pipes, the 2022 storm floods, cameras."""

from __future__ import annotations

from pathlib import Path

import pytest
from flood_grid import SPACING_M, camera_at, grid_config

from cctwin.config import Config
from cctwin.scenarios.flood import FloodScenario, FloodSimulationError, run_flood
from cctwin.scenarios.flood.run import run_swmm


def scenario(storm: dict[str, object], **fields: object) -> FloodScenario:
    return FloodScenario.model_validate({"kind": "flood", "name": "grid", "storm": storm, **fields})


DESIGN_95 = {"type": "design", "intensity_mm_h": 95}
EVENT = {"type": "event", "event": "seoul-2022-08-08"}


@pytest.fixture
def watched(tmp_path: Path) -> Config:
    # Cameras at two street corners of the grid, looking along a street.
    half = SPACING_M * 2
    return grid_config(
        tmp_path,
        [camera_at("sw-corner", -half, -half, 45), camera_at("ne-corner", half, half, 225)],
    )


def test_design_rain_on_pipes_sized_for_it_barely_floods_while_2022_storm_does(
    grid: Config,
) -> None:
    design = run_flood(scenario(DESIGN_95), grid)
    event = run_flood(scenario(EVENT), grid)
    assert design.simulated_s == event.simulated_s == 6 * 3600
    # A dynamic-wave model of pipes sized by the rational method: no or very little water over
    # the rims for the rain they were sized for ...
    assert design.flooded_nodes <= 1
    assert design.max_depth_m < 0.1
    # ... while 141.5 mm in the peak hour overtops several inlets, deeper and for longer.
    assert event.flooded_nodes >= 3
    assert event.max_depth_m > design.max_depth_m + 0.05
    spilled = sum(n.overflow_m3 for n in event.node_results)
    assert spilled > 10 * max(sum(n.overflow_m3 for n in design.node_results), 1.0)
    for result in (design, event):
        assert abs(result.routing_error_pct) < 2.0
        assert abs(result.runoff_error_pct) < 2.0


def test_result_summary_keys_series_and_geojson(grid: Config) -> None:
    seen: list[float] = []
    result = run_flood(scenario(EVENT), grid, seen.append)
    assert list(result.summary()) == [
        "wall_s",
        "simulated_s",
        "nodes",
        "flooded_nodes",
        "max_depth_m",
        "cameras",
    ]
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0, abs=0.02)
    assert result.nodes == len(result.node_results) == 25
    assert len(result.series.times_s) == 72  # every 5 minutes for 6 hours
    flooded = [n for n in result.node_results if n.flooded]
    assert len(flooded) == result.flooded_nodes
    for node in flooded:
        depths = result.series.depth_m[node.id]
        # The 5-minute samples never exceed SWMM's own maximum, and come close to it.
        assert max(depths) <= node.max_depth_m + 1e-3
        assert node.flooded_s > 0
        assert 3 * 3600 < node.time_of_max_s < 4 * 3600
    geojson = result.geojson()
    assert geojson["times_s"] == result.series.times_s
    assert len(geojson["features"]) == 25  # type: ignore[arg-type]
    assert result.versions["pyswmm"]
    assert result.engine.startswith("SWMM 5")


def test_cameras_are_tied_to_the_flooded_nodes_they_watch(watched: Config) -> None:
    result = run_flood(scenario(EVENT), watched)
    by_id = {n.id: n for n in result.node_results}
    watched_nodes = {
        c: [n.id for n in result.node_results if c in n.cameras] for c in ("sw-corner", "ne-corner")
    }
    # Each corner camera sees the inlet it stands on (a 40 m footprint along the street).
    assert all(len(nodes) >= 1 for nodes in watched_nodes.values())
    assert set(result.cameras) == {c.camera_id for c in result.camera_nodes}
    for camera in result.camera_nodes:
        assert camera.nodes
        assert all(by_id[n].flooded for n in camera.nodes)
        assert all(camera.camera_id in by_id[n].cameras for n in camera.nodes)
        assert camera.max_depth_m == max(by_id[n].max_depth_m for n in camera.nodes)
    # The summary lists exactly the cameras that watch a flooded node.
    expected = sorted({c for n in result.node_results if n.flooded for c in n.cameras})
    assert result.cameras == expected


def test_a_run_past_its_time_limit_stops_with_a_clear_message(grid: Config) -> None:
    with pytest.raises(FloodSimulationError, match=r"did not finish in timeout_s = 1e-06 s"):
        run_flood(scenario(EVENT, timeout_s=1e-6), grid)


def test_swmm_refusing_the_input_is_one_clear_line() -> None:
    broken = "[OPTIONS]\nFLOW_UNITS CMS\n\n[JUNCTIONS]\nJ1 10 2 0 0 0\n\n[CONDUITS]\nC1 J1 J9 10 0.013 0 0 0\n"
    with pytest.raises(FloodSimulationError, match=r"^SWMM refused the run: .*ERROR"):
        run_swmm(broken, scenario(DESIGN_95))


def test_a_continuity_error_beyond_the_limit_is_refused_as_divergence(grid: Config) -> None:
    # A limit below any real run's error forces the refusal path on an honest run.
    with pytest.raises(FloodSimulationError, match=r"diverged: flow routing continuity error"):
        run_flood(scenario(EVENT, max_continuity_error_pct=1e-9), grid)


def test_cli_prints_exactly_the_summary_keys(tmp_path: Path) -> None:
    import json

    import yaml
    from typer.testing import CliRunner

    from cctwin.cli import app

    config = grid_config(tmp_path)
    config_file = tmp_path / "grid.yaml"
    config_file.write_text(yaml.safe_dump({"site": config.site.model_dump(mode="json")}))
    scenario_file = tmp_path / "storm.yaml"
    scenario_file.write_text(
        "kind: flood\nname: short storm\nstorm: {type: series, series: [[0, 150], [30, 0]]}\n"
        "duration_h: 1\n"
    )
    args = ["twin", "flood", "--scenario", str(scenario_file), "--config", str(config_file)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(summary) == [
        "wall_s",
        "simulated_s",
        "nodes",
        "flooded_nodes",
        "max_depth_m",
        "cameras",
    ]
    assert summary["simulated_s"] == 3600
    assert summary["nodes"] == 25


@pytest.mark.slow
def test_shipped_scenarios_on_the_demo_network() -> None:
    from cctwin.config import load_config
    from cctwin.scenarios.flood import load_flood_scenario

    repo = Path(__file__).resolve().parents[3]
    config = load_config(repo / "config" / "demo.yaml")
    results = {
        name: run_flood(load_flood_scenario(repo / "config" / "scenarios" / f"{name}.yaml"), config)
        for name in ("flood-design-95", "flood-design-110", "flood-2022-08-08")
    }
    design, gangnam, event = results.values()
    # Pipes sized for 95 mm/h: a few inlets at most; more rain, more and deeper water.
    assert design.flooded_nodes <= 0.03 * design.nodes
    assert design.flooded_nodes < gangnam.flooded_nodes < event.flooded_nodes
    assert design.max_depth_m < gangnam.max_depth_m < event.max_depth_m
    assert event.flooded_nodes >= 0.15 * event.nodes
    assert set(design.cameras) <= set(event.cameras)
    for result in results.values():
        assert abs(result.routing_error_pct) < 1.0
