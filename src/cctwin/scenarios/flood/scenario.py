"""The flood scenario file (`kind: flood`): the storm, how long to run, the generated network."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from cctwin.config.base import Strict, type_or

# Above any rain ever recorded for an hour (the world record is about 305 mm in 42 min, i.e.
# 436 mm/h); a larger value is a typo (mm for mm/h, or a missing decimal point).
MAX_INTENSITY_MM_H = 500.0

Minute = Annotated[float, Field(ge=0, description="Minutes since the storm starts.")]
Intensity = Annotated[float, Field(ge=0, le=MAX_INTENSITY_MM_H, description="Rain in mm/h.")]
RainPoint = tuple[Minute, Intensity]


class DesignStorm(Strict):
    """A design storm from Seoul's standard: the IDF curve through the 60-minute intensity.

    Alternating block hyetograph (Chow, Maidment & Mays 1988, 14.4) from an IDF relation
    i(d) = i60 ((60 + b) / (d + b))^n, see `storms.py` and docs/flood.md.
    """

    type: Literal["design"] = "design"
    intensity_mm_h: float = Field(
        gt=0,
        le=MAX_INTENSITY_MM_H,
        description="60-minute design intensity: Seoul 95 mm/h (30 years), Gangnam 110 (50).",
    )
    peak_at: float = Field(
        0.5, ge=0, le=1, description="Where the peak block sits in the storm (share of it)."
    )


class EventStorm(Strict):
    """A recorded storm whose hyetograph ships with cctwin (sources in `storms.py`)."""

    type: Literal["event"] = "event"
    event: Literal["seoul-2022-08-08"] = Field(
        description="seoul-2022-08-08: 141.5 mm/h peak hour at KMA Dongjak, 8 August 2022."
    )


class SeriesStorm(Strict):
    """A rainfall series of the user: [[minute, mm/h], ...], each held until the next point."""

    type: Literal["series"] = "series"
    series: list[RainPoint] = Field(min_length=1)

    @field_validator("series")
    @classmethod
    def _ordered(cls, series: list[RainPoint]) -> list[RainPoint]:
        if series[0][0] != 0:
            raise ValueError(f"point 1: the series must start at minute 0, not {series[0][0]:g}")
        for index in range(1, len(series)):
            before, minute = series[index - 1][0], series[index][0]
            if minute <= before:
                raise ValueError(
                    f"point {index + 1}: minute {minute:g} does not come after minute {before:g}"
                )
        return series


Storm = Annotated[
    Annotated[DesignStorm, Tag("design")]
    | Annotated[EventStorm, Tag("event")]
    | Annotated[SeriesStorm, Tag("series")],
    Discriminator(type_or("design")),
]


class FloodNetworkOptions(Strict):
    """How the sample drainage network is generated from the site's streets (docs/flood.md)."""

    design_intensity_mm_h: float = Field(
        95.0, gt=0, le=MAX_INTENSITY_MM_H, description="60-minute rain the pipes are sized for."
    )
    ground_slope: float = Field(
        0.01, ge=0, le=0.2, description="Fall of the assumed ground plane (no DEM), m/m."
    )
    fall_toward_deg: float = Field(
        225.0, ge=0, lt=360, description="Compass bearing the ground falls toward."
    )
    ground_elevation_m: float = Field(25.0, description="Ground level at the site centre.")
    max_conduit_m: float = Field(80.0, ge=10, le=500, description="Longer streets are split.")
    merge_nodes_m: float = Field(6.0, ge=0, le=30, description="Nodes closer than this merge.")
    outfalls: int = Field(3, ge=1, le=50, description="Outfalls of the largest street network.")
    min_cover_m: float = Field(1.0, ge=0.3, le=5)


class FloodScenario(Strict):
    """A flood what-if: a storm on the district's generated drainage network, run by SWMM."""

    kind: Literal["flood"]
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    storm: Storm
    duration_h: float = Field(6.0, gt=0, le=72, description="Simulated time, from rain start.")
    network: FloodNetworkOptions = Field(default_factory=FloodNetworkOptions)
    flood_threshold_m: float = Field(
        0.05, gt=0, le=2, description="Water above the inlet rim that counts as a flooded node."
    )
    routing_step_s: float = Field(5.0, ge=0.5, le=60)
    report_step_s: int = Field(300, ge=60, le=3600, description="Depth series step (map).")
    max_continuity_error_pct: float = Field(
        10.0, gt=0, le=100, description="A larger routing continuity error means it diverged."
    )
    timeout_s: float = Field(120.0, gt=0, le=3600, description="Wall-clock limit of one run.")
