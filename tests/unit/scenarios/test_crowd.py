"""Crowd what-ifs: scenario files, placement on the walkable area, densities, a small run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from cctwin.config.loader import parse_config
from cctwin.scenarios.crowd.density import DANGER_P_M2, peak, zone_densities
from cctwin.scenarios.crowd.run import run_crowd, set_up
from cctwin.scenarios.crowd.simulate import CrowdRun, PlaceError, SimulationError, hex_spots
from cctwin.scenarios.crowd.validation import corridor_point, weidmann_speed
from cctwin.scenarios.models import CrowdScenario, ScenarioError, load_scenario, parse_scenario
from cctwin.scenarios.records import ScenarioRun
from cctwin.scenarios.runs import execute

REPO = Path(__file__).resolve().parents[3]
SMALL = REPO / "config" / "scenarios" / "small-egress.yaml"
CONFIG = """
site:
  osm: {osm}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    return parse_config(
        CONFIG.format(
            osm=REPO / "config" / "site" / "gongdeok.osm",
            db=tmp_path / "db.sqlite",
            media=tmp_path / "media",
        )
    )


def test_shipped_scenarios_load() -> None:
    for path in (REPO / "config" / "scenarios").glob("*.yaml"):
        scenario = load_scenario(path)
        assert scenario.kind in ("crowd", "flood"), path


def test_errors_name_the_line_and_field() -> None:
    text = SMALL.read_text().replace("count: 60", "count: -5")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "small.yaml")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "count: -5" in t)
    assert f"small.yaml:{line}: sources.0.count" in str(caught.value)


def test_unknown_kind_and_unknown_destination_are_refused() -> None:
    with pytest.raises(ScenarioError, match="kind: must be crowd or flood"):
        parse_scenario("kind: fire\nname: x\n", "f.yaml")
    text = SMALL.read_text().replace("to: [{destination: gate3}]", "to: [{destination: nowhere}]")
    with pytest.raises(ScenarioError, match="unknown destination 'nowhere'"):
        parse_scenario(text, "f.yaml")


def test_source_inside_a_building_is_refused_with_its_line(tmp_path: Path) -> None:
    # 126.9527, 37.5460 lies inside a block of the OSM extract, away from every street.
    text = SMALL.read_text().replace(
        "    at: [126.9520528, 37.5451136]\n    radius_m: 3",
        "    at: [126.95250, 37.54530]\n    radius_m: 0.5",
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    assert isinstance(scenario, CrowdScenario)
    with pytest.raises(PlaceError, match="source 'gate4' is outside the walkable area"):
        set_up(scenario, config(tmp_path))

    class Store:
        def __init__(self) -> None:
            self.runs: list[ScenarioRun] = []

        def save_scenario_run(self, run: ScenarioRun) -> None:
            self.runs.append(run)

    store = Store()
    with pytest.raises(ScenarioError) as caught:
        execute(scenario, (str(path), text), config(tmp_path), store)  # type: ignore[arg-type]
    # The failure is kept: first 'running', then 'failed' with the reason.
    assert [r.status.value for r in store.runs] == ["running", "failed"]
    assert "outside the walkable area" in (store.runs[-1].error or "")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "- id: gate4" in t)
    assert str(caught.value).startswith(f"{path}:{line}: source 'gate4' is outside")


def test_voronoi_density_of_a_lattice_is_one_over_spacing_squared() -> None:
    # People on a 0.5 m lattice stand at 4 p/m2; the zone is well inside the crowd.
    xs, ys = np.meshgrid(np.arange(0, 20, 0.5), np.arange(0, 10, 0.5))
    frame = np.column_stack([np.arange(xs.size), xs.ravel(), ys.ravel()])
    zones = {"middle": box(8, 3, 12, 7), "empty": box(30, 0, 34, 4)}
    series = zone_densities([0.0, 1.0], [frame, frame[:0]], box(-1, -1, 40, 11), zones)
    got = {s.zone_id: s.density for s in series}
    assert got["middle"][0] == pytest.approx(4.0, rel=0.02)
    assert got["middle"][1] == 0.0
    assert got["empty"].max() == 0.0
    top = peak([0.0, 1.0], series)
    assert (top.zone_id, top.time_s) == ("middle", 0.0)
    assert top.danger_time_s is None
    assert top.density < DANGER_P_M2


def test_small_egress_everyone_arrives(tmp_path: Path) -> None:
    scenario = load_scenario(SMALL)
    assert isinstance(scenario, CrowdScenario)
    seen: list[float] = []
    result = run_crowd(scenario, config(tmp_path), progress=seen.append)
    assert result.agents == 60
    assert result.arrived == 60
    assert result.complete
    # 41 m at ~1.34 m/s, the last person leaves at 29.5 s: everyone is out well before 120 s.
    assert 40.0 < result.simulated_s < 120.0
    assert seen
    assert seen[-1] <= 1.0
    assert result.max_density > 0
    assert result.peak_zone == "gate4"
    assert len(result.frames) == len(result.frame_times) > 3
    lon, lat = result.frames[3][0]
    assert 126.950 < lon < 126.954
    assert 37.544 < lat < 37.546


def test_a_run_past_its_wall_budget_stops_with_a_message(tmp_path: Path) -> None:
    scenario = load_scenario(SMALL)
    assert isinstance(scenario, CrowdScenario)
    run = CrowdRun(scenario, set_up(scenario, config(tmp_path)))
    with pytest.raises(SimulationError, match=r"stopped after 0 s of wall time at t=1 s"):
        run.run(max_wall_s=0.0)


def test_speeds_follow_weidmann_within_a_fifth_of_a_metre_per_second() -> None:
    # Weidmann (1993): 1.058 m/s at 1 p/m2. JuPedSim's CFSM with a 0.5 s time gap, step 0.05 s.
    point = corridor_point(1.0, 0.05)
    assert point.density == pytest.approx(1.0, abs=0.15)
    assert weidmann_speed(1.0) == pytest.approx(1.058, abs=0.001)
    assert abs(point.deviation) < 0.2


def test_hex_seeding_reaches_high_densities() -> None:
    area = box(0, 0, 10, 10)
    spots = hex_spots(area, 500, np.random.default_rng(1))
    assert len(spots) == 500  # 5 p/m2: random placement jams near 3
    xy = np.array(spots)
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + np.eye(500) * 9
    assert gaps.min() >= 0.45


def test_nobody_moving_for_a_minute_is_a_gridlock(tmp_path: Path) -> None:
    scenario = load_scenario(SMALL)
    assert isinstance(scenario, CrowdScenario)
    run = CrowdRun(scenario, set_up(scenario, config(tmp_path)))
    frame = np.array([[1, 0.0, 0.0], [2, 1.0, 0.0]])
    moved = np.array([[1, 0.5, 0.0], [2, 1.0, 0.0]])
    assert run._watch(moved, (0.0, frame), 60.0)[0] == 60.0  # one person walked on
    with pytest.raises(SimulationError, match=r"gridlock: 2 people stood still from t=0 s"):
        run._watch(frame, (0.0, frame), 60.0)
