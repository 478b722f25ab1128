"""Scenario files: the shipped ones load; a malformed rainfall series is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.errors import ConfigError
from cctwin.scenarios.flood import load_flood_scenario, parse_flood_scenario
from cctwin.scenarios.flood.scenario import DesignStorm, EventStorm, SeriesStorm

SCENARIOS = Path(__file__).parents[3] / "config" / "scenarios"

SERIES = """kind: flood
name: user storm
storm:
  type: series
  series:
    - [0, 10]
    - [30, 60]
{bad}
duration_h: 2
"""


def refusal(bad: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_flood_scenario(SERIES.format(bad=bad), "storm.yaml")
    return str(caught.value)


def test_shipped_scenarios_load() -> None:
    design95 = load_flood_scenario(SCENARIOS / "flood-design-95.yaml")
    design110 = load_flood_scenario(SCENARIOS / "flood-design-110.yaml")
    event = load_flood_scenario(SCENARIOS / "flood-2022-08-08.yaml")
    assert isinstance(design95.storm, DesignStorm)
    assert design95.storm.intensity_mm_h == 95
    assert isinstance(design110.storm, DesignStorm)
    assert design110.storm.intensity_mm_h == 110
    assert isinstance(event.storm, EventStorm)
    assert {s.duration_h for s in (design95, design110, event)} == {6}
    assert {s.network.design_intensity_mm_h for s in (design95, design110, event)} == {95}


def test_good_series_loads() -> None:
    scenario = parse_flood_scenario(SERIES.format(bad="    - [45, 0]"))
    assert isinstance(scenario.storm, SeriesStorm)
    assert scenario.storm.series[-1] == (45, 0)


def test_negative_rain_names_its_line() -> None:
    message = refusal("    - [45, -5]")
    assert message.startswith("storm.yaml:8: storm.series.series.2.1:")
    assert "greater than or equal to 0" in message


def test_minutes_out_of_order_name_the_point_and_its_line() -> None:
    message = refusal("    - [20, 5]")
    assert message == (
        "storm.yaml:8: storm.series.series: point 3: minute 20 does not come after minute 30"
    )


def test_point_that_is_not_a_pair_is_refused() -> None:
    message = refusal("    - [45]")
    assert message.startswith("storm.yaml:8:")
    assert "storm.series.series.2" in message


def test_text_instead_of_a_number_is_refused() -> None:
    message = refusal("    - [45, heavy]")
    assert message.startswith("storm.yaml:8:")
    assert "valid number" in message


def test_typo_in_intensity_is_refused() -> None:
    message = refusal("    - [45, 1415]")
    assert message.startswith("storm.yaml:8:")
    assert "less than or equal to 500" in message


def test_unknown_storm_type_and_wrong_kind() -> None:
    with pytest.raises(ConfigError, match=r"s.yaml:3: storm: .*'design', 'event', 'series'"):
        parse_flood_scenario("kind: flood\nname: x\nstorm: {type: hurricane}\n", "s.yaml")
    with pytest.raises(ConfigError, match=r"s.yaml:1: kind: Input should be 'flood'"):
        parse_flood_scenario("kind: crowd\nname: x\nstorm: {intensity_mm_h: 95}\n", "s.yaml")
    with pytest.raises(ConfigError, match=r"s.yaml:1: a scenario file is a mapping"):
        parse_flood_scenario("- 1\n", "s.yaml")


def test_cli_refuses_a_malformed_series_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SERIES.format(bad="    - [20, 5]"), encoding="utf-8")
    result = CliRunner().invoke(app, ["twin", "flood", "--scenario", str(path)])
    assert result.exit_code == 2
    assert f"{path}:8: storm.series.series: point 3: minute 20" in " ".join(result.output.split())
    assert "Traceback" not in result.output
