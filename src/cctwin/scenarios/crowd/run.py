"""A crowd what-if end to end: site model -> walkable area -> JuPedSim -> densities -> result."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from shapely.geometry import Polygon, mapping  # type: ignore[import-untyped]

from cctwin.config import Config
from cctwin.config.safety import RiskBandConfig, _seoul_bands
from cctwin.geometry import lonlat_to_metres
from cctwin.scenarios.crowd.density import DANGER_P_M2, peak, zone_densities
from cctwin.scenarios.crowd.simulate import CrowdRun, CrowdSetup, CrowdTrace, lay_out
from cctwin.scenarios.crowd.walkable import WalkableArea, walkable_area
from cctwin.scenarios.models import CrowdScenario, LonLat
from cctwin.twin.layers import load_site_model

# The animation gets a frame every this many seconds and at most this many people per frame:
# enough to see a queue form, small enough for the browser (a few MB for the station egress).
ANIMATION_EVERY_S = 5.0
ANIMATION_MAX_AGENTS = 3000


class ZoneResult(BaseModel):
    """One zone's density over time and its outline (lon, lat)."""

    zone_id: str
    max_density: float
    density: list[float]
    outline: dict[str, Any]


class CrowdResult(BaseModel):
    """What a crowd what-if found: densities per zone over time, the peak, the animation."""

    kind: str = "crowd"
    wall_s: float
    cpu_s: float = Field(0.0, description="CPU time of this process (wall_s grows with load).")
    simulated_s: float
    agents: int
    arrived: int
    complete: bool
    note: str = ""
    step_s: float
    max_density: float
    peak_time_s: float
    peak_zone: str
    time_to_danger_s: float | None = Field(description="First time a zone reached 6 p/m2.")
    peak_band: str | None
    bands: list[RiskBandConfig]
    times: list[float]
    zones: list[ZoneResult]
    frame_times: list[float]
    frames: list[list[list[float]]] = Field(description="Per frame: [lon, lat] of each person.")

    def summary(self) -> dict[str, object]:
        """The JSON of `cctwin twin simulate --json` for a crowd run."""
        return {
            "kind": "crowd",
            "wall_s": round(self.wall_s, 2),
            "cpu_s": round(self.cpu_s, 2),
            "simulated_s": round(self.simulated_s, 1),
            "agents": self.agents,
            "arrived": self.arrived,
            "complete": self.complete,
            "max_density": round(self.max_density, 2),
            "peak_time_s": round(self.peak_time_s, 1),
            "peak_zone": self.peak_zone,
            "peak_band": self.peak_band,
            "time_to_danger_s": self.time_to_danger_s,
            "zones": {z.zone_id: round(z.max_density, 2) for z in self.zones},
        }


def crowd_bands(scenario: CrowdScenario, config: Config) -> list[RiskBandConfig]:
    """The scenario's bands, else the first crowd analyser's, else Seoul's guidance."""
    if scenario.bands:
        return list(scenario.bands)
    for camera in config.cameras:
        for crowd in camera.analytics.crowd:
            return list(crowd.bands)
    return _seoul_bands()


def band_of(density: float, bands: list[RiskBandConfig]) -> str | None:
    entered = [
        b for b in sorted(bands, key=lambda b: b.persons_per_m2) if density >= b.persons_per_m2
    ]
    return entered[-1].name if entered else None


def origin_of(scenario: CrowdScenario) -> LonLat:
    """Where the metres are counted from: the first source (or crowd); its piece is walked."""
    first = scenario.sources[0] if scenario.sources else scenario.initial[0]
    if first.at is not None:
        return first.at
    assert first.polygon is not None
    xs, ys = zip(*first.polygon, strict=True)
    return (sum(xs) / len(xs), sum(ys) / len(ys))


def set_up(scenario: CrowdScenario, config: Config) -> CrowdSetup:
    """The walkable area and the scenario's places on it (PlaceError, ValueError if not)."""
    origin = origin_of(scenario)
    model = load_site_model(config.site)
    walkable: WalkableArea = walkable_area(model, origin, scenario.region, scenario.closures)
    site_zones = {z.id: Polygon(lonlat_to_metres(z.polygon, origin)) for z in config.site.zones}
    return lay_out(scenario, walkable, site_zones)


def summarise(
    scenario: CrowdScenario, config: Config, setup: CrowdSetup, trace: CrowdTrace, wall_s: float
) -> CrowdResult:
    """Densities per zone and the peak of a finished trace, with the animation frames."""
    series = zone_densities(trace.times, trace.frames, setup.walkable.polygon, setup.zones)
    top = peak(trace.times, series)
    bands = crowd_bands(scenario, config)
    walkable = setup.walkable
    zones = [
        ZoneResult(
            zone_id=s.zone_id,
            max_density=round(s.peak, 3),
            density=[round(float(v), 3) for v in s.density],
            outline=mapping(_to_lonlat(walkable, setup.zones[s.zone_id])),
        )
        for s in series
    ]
    every = max(1, round(ANIMATION_EVERY_S / scenario.sample_s))
    frames: list[list[list[float]]] = []
    frame_times: list[float] = []
    for t, frame in list(zip(trace.times, trace.frames, strict=True))[::every]:
        lonlat = (
            walkable.to_lonlat(frame[:ANIMATION_MAX_AGENTS, 1:]) if len(frame) else np.empty((0, 2))
        )
        frames.append([[round(float(p[0]), 6), round(float(p[1]), 6)] for p in lonlat])
        frame_times.append(round(t, 2))
    return CrowdResult(
        wall_s=wall_s,
        simulated_s=trace.simulated_s,
        agents=trace.released,
        arrived=trace.arrived,
        complete=trace.complete,
        note=trace.note,
        step_s=scenario.step_s,
        max_density=round(top.density, 3),
        peak_time_s=top.time_s,
        peak_zone=top.zone_id,
        time_to_danger_s=top.danger_time_s,
        peak_band=band_of(top.density, bands),
        bands=bands,
        times=[round(t, 2) for t in trace.times],
        zones=zones,
        frame_times=frame_times,
        frames=frames,
    )


def _to_lonlat(walkable: WalkableArea, geometry: Any) -> Any:
    import shapely  # type: ignore[import-untyped]

    return shapely.transform(geometry, lambda xy: walkable.to_lonlat(np.asarray(xy)))


def run_crowd(
    scenario: CrowdScenario,
    config: Config,
    progress: Callable[[float], None] | None = None,
    setup: CrowdSetup | None = None,
) -> CrowdResult:
    """Run a crowd scenario; PlaceError / SimulationError / ValueError say what is wrong."""
    started, cpu = time.perf_counter(), time.process_time()
    setup = setup if setup is not None else set_up(scenario, config)
    trace = CrowdRun(scenario, setup).run(progress)
    result = summarise(scenario, config, setup, trace, time.perf_counter() - started)
    return result.model_copy(update={"cpu_s": time.process_time() - cpu})


__all__ = ["DANGER_P_M2", "CrowdResult", "run_crowd", "set_up"]
