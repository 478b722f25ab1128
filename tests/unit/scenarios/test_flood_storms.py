"""Hyetographs: the alternating block keeps the IDF depths; the 2022 event; user series."""

from __future__ import annotations

import numpy as np
import pytest

from cctwin.scenarios.flood.scenario import DesignStorm, EventStorm, FloodScenario
from cctwin.scenarios.flood.storms import (
    alternating_block,
    event_hyetograph,
    hyetograph,
    idf_intensity,
    series_hyetograph,
)


def wettest(intensity: list[float], step_min: float, minutes: float) -> float:
    """The largest mean intensity over any `minutes` window (mm/h)."""
    blocks = round(minutes / step_min)
    values = np.array(intensity)
    return max(values[i : i + blocks].mean() for i in range(len(values) - blocks + 1))


@pytest.mark.parametrize("i60", [95.0, 110.0])
def test_design_storm_has_the_design_intensity_in_its_wettest_hour(i60: float) -> None:
    blocks = alternating_block(i60, 360.0, 5.0)
    assert len(blocks) == 72
    assert wettest(blocks, 5, 60) == pytest.approx(i60, rel=1e-9)
    # Every window around the peak holds the IDF depth of its duration.
    assert wettest(blocks, 5, 10) == pytest.approx(idf_intensity(10, i60), rel=1e-9)
    assert sum(blocks) * 5 / 60 == pytest.approx(idf_intensity(360, i60) * 6, rel=1e-9)
    assert int(np.argmax(blocks)) == 36  # the peak in the middle


def test_idf_shape_gives_ten_minutes_about_twice_the_hourly_intensity() -> None:
    assert idf_intensity(60, 95) == pytest.approx(95)
    assert idf_intensity(10, 95) / 95 == pytest.approx(2.12, abs=0.01)


def test_event_peaks_with_the_recorded_141_5_mm_hour() -> None:
    rain = event_hyetograph(EventStorm(event="seoul-2022-08-08"))
    assert rain.duration_min == 360
    assert wettest(rain.intensity_mm_h, rain.step_min, 60) == pytest.approx(141.5)
    assert rain.total_mm == pytest.approx(361.5)
    assert "141.5" in rain.method
    assert "Dongjak" in rain.method


def test_series_is_held_until_the_next_point_on_a_regular_grid() -> None:
    rain = series_hyetograph([(0, 10.0), (30, 50.0), (45, 0.0)], 120)
    assert rain.step_min == 15
    assert rain.intensity_mm_h == [10, 10, 50, 0, 0, 0, 0, 0]
    assert rain.total_mm == pytest.approx(10 * 0.5 + 50 * 0.25)
    odd = series_hyetograph([(0, 6.0), (7, 0.0)], 20)
    assert odd.step_min == 1
    assert odd.intensity_mm_h[:8] == [6] * 7 + [0]


def test_scenario_picks_its_storm() -> None:
    scenario = FloodScenario(kind="flood", name="d", storm=DesignStorm(intensity_mm_h=95))
    assert hyetograph(scenario).peak_mm_h == pytest.approx(alternating_block(95, 360)[36])
