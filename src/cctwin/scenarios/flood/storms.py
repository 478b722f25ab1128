"""Hyetographs: Seoul design storms by alternating block, the 8 Aug 2022 event, user series."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from cctwin.scenarios.flood.scenario import (
    DesignStorm,
    EventStorm,
    FloodScenario,
    RainPoint,
    SeriesStorm,
)

# The IDF relation i(d) = i60 ((60 + b) / (d + b))^n (Sherman form, d in minutes, scaled so the
# 60-minute mean intensity is the design value). b and n are not Seoul's official coefficients:
# they give a 10-minute intensity 2.1 times the 60-minute one, the ratio of Seoul's published
# 30-year IDF values (about 33 mm in 10 min against 95 mm in 60), which is what shapes the peak.
IDF_B_MIN = 10.0
IDF_N = 0.6
BLOCK_MIN = 5

# KMA AWS 401 (Dongjak, Sindaebang-dong) on 8 August 2022: 141.5 mm fell in one hour (20:05-
# 21:05 KST), the largest hourly total in Seoul's record. Only that hour is a recorded value;
# the other hours of the 6-hour window (17:00-23:00 KST) are an assumption of the right order
# (the station's day total was 381.5 mm). Inside the peak hour the rain follows the same IDF
# shape as the design storms (KMA's public hourly series says nothing finer).
EVENT_2022_08_08_HOURLY_MM: tuple[float, ...] = (20.0, 40.0, 70.0, 141.5, 60.0, 30.0)
EVENT_2022_08_08_PEAK_HOUR = 3
EVENT_2022_08_08_SOURCE = (
    "KMA AWS 401 Dongjak, 8 Aug 2022: 141.5 mm in the hour 20:05-21:05 KST (recorded); other "
    "hours 17:00-23:00 assumed 20, 40, 70, -, 60, 30 mm; IDF-shaped 5-min blocks in the peak hour"
)


class Hyetograph(BaseModel):
    """Rain intensity in equal steps from the storm's start; zero after the last step."""

    step_min: float = Field(gt=0)
    intensity_mm_h: list[float]
    method: str

    @property
    def total_mm(self) -> float:
        return float(sum(self.intensity_mm_h) * self.step_min / 60.0)

    @property
    def peak_mm_h(self) -> float:
        return max(self.intensity_mm_h, default=0.0)

    @property
    def duration_min(self) -> float:
        return self.step_min * len(self.intensity_mm_h)


def idf_intensity(duration_min: float, i60_mm_h: float) -> float:
    """Mean intensity (mm/h) over `duration_min` of the storm whose 60-minute mean is `i60`."""
    return float(i60_mm_h * ((60.0 + IDF_B_MIN) / (duration_min + IDF_B_MIN)) ** IDF_N)


def alternating_block(
    i60_mm_h: float, duration_min: float, step_min: float = BLOCK_MIN, peak_at: float = 0.5
) -> list[float]:
    """Block intensities (mm/h): IDF depth increments, largest at `peak_at`, then alternating."""
    blocks = max(1, round(duration_min / step_min))
    ends = step_min * np.arange(1, blocks + 1)
    depth = np.array([idf_intensity(d, i60_mm_h) * d / 60.0 for d in ends])
    increments = np.diff(depth, prepend=0.0)  # decreasing: the largest first
    order = _alternating_positions(blocks, peak_at)
    out = np.zeros(blocks)
    out[order] = increments
    return [float(v) for v in out * 60.0 / step_min]


def _alternating_positions(blocks: int, peak_at: float) -> list[int]:
    """Slots for blocks sorted largest first: the peak, then right, left, right, ... of it."""
    peak = min(blocks - 1, math.floor(peak_at * blocks))
    positions, left, right = [peak], peak - 1, peak + 1
    take_right = True
    while len(positions) < blocks:
        if (take_right and right < blocks) or left < 0:
            positions.append(right)
            right += 1
        else:
            positions.append(left)
            left -= 1
        take_right = not take_right
    return positions


def design_hyetograph(storm: DesignStorm, duration_min: float) -> Hyetograph:
    return Hyetograph(
        step_min=BLOCK_MIN,
        intensity_mm_h=alternating_block(
            storm.intensity_mm_h, duration_min, BLOCK_MIN, storm.peak_at
        ),
        method=(
            f"alternating block, {BLOCK_MIN}-min steps, IDF i(d) = {storm.intensity_mm_h:g} "
            f"((60 + {IDF_B_MIN:g}) / (d + {IDF_B_MIN:g}))^{IDF_N:g} mm/h"
        ),
    )


def event_hyetograph(storm: EventStorm) -> Hyetograph:
    blocks_per_hour = 60 // BLOCK_MIN
    steps: list[float] = []
    for hour, total in enumerate(EVENT_2022_08_08_HOURLY_MM):
        if hour == EVENT_2022_08_08_PEAK_HOUR:
            steps.extend(alternating_block(total, 60.0, BLOCK_MIN))
        else:
            steps.extend([total] * blocks_per_hour)
    return Hyetograph(step_min=BLOCK_MIN, intensity_mm_h=steps, method=EVENT_2022_08_08_SOURCE)


def series_hyetograph(series: Sequence[RainPoint], duration_min: float) -> Hyetograph:
    """The user's step series on a regular grid (the gcd of its minutes; 1 minute at least)."""
    minutes = [point[0] for point in series]
    step = 0
    for minute in [*minutes, duration_min]:
        step = math.gcd(step, round(minute)) if float(minute).is_integer() else 1
        if step == 1:
            break
    step = max(step, 1)
    grid = np.arange(0.0, duration_min, step)
    index = np.searchsorted(np.array(minutes), grid, side="right") - 1
    values = [float(series[i][1]) for i in index]
    return Hyetograph(step_min=step, intensity_mm_h=values, method="rainfall series of the file")


def hyetograph(scenario: FloodScenario) -> Hyetograph:
    """The scenario's storm as a hyetograph over its duration."""
    duration_min = scenario.duration_h * 60.0
    storm = scenario.storm
    if isinstance(storm, DesignStorm):
        return design_hyetograph(storm, duration_min)
    if isinstance(storm, EventStorm):
        return event_hyetograph(storm)
    assert isinstance(storm, SeriesStorm)
    return series_hyetograph(storm.series, duration_min)
