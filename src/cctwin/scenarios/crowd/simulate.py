"""Run a crowd what-if in JuPedSim: sources release people who walk to their destinations."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jupedsim as jps
import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely.geometry import Point  # type: ignore[import-untyped]

from cctwin.errors import CctwinError
from cctwin.scenarios.crowd.walkable import WalkableArea, inside
from cctwin.scenarios.models import CrowdScenario, RouteShare

# JuPedSim's default pedestrian: 0.2 m radius; one needs this much floor to be placed.
AGENT_RADIUS_M = 0.2
MIN_PLACE_M2 = 1.0
# A new agent is placed only this far from everyone already there (no overlapping circles).
SPAWN_CLEARANCE_M = 2 * AGENT_RADIUS_M + 0.05
SPAWN_TRIES = 6
# No agent moving this far in GRIDLOCK_S simulated seconds, with agents present, is a
# gridlock: the run stops with a message rather than spinning until duration_s.
GRIDLOCK_S = 60.0
GRIDLOCK_M = 0.05


class SimulationError(CctwinError):
    """A crowd simulation that cannot start or diverged; the message says where and why."""


class PlaceError(CctwinError):
    """A source, destination or zone not on the walkable area; `location` is its YAML path."""

    def __init__(self, location: Sequence[int | str], reason: str) -> None:
        super().__init__(reason)
        self.location = list(location)
        self.reason = reason


@dataclass(slots=True)
class Release:
    """One source's schedule: people still to place, when, and where they walk."""

    source_id: str
    area: Any
    times: np.ndarray
    journeys: np.ndarray  # index into the destination list, per person
    next: int = 0


@dataclass(frozen=True, slots=True)
class CrowdSetup:
    """The scenario laid on the walkable area: source, exit and zone polygons in metres."""

    walkable: WalkableArea
    sources: dict[str, Any]
    initial: dict[str, Any]
    exits: dict[str, Any]
    zones: dict[str, Any]


@dataclass(slots=True)
class CrowdTrace:
    """What the simulation recorded: positions every `sample_s`, and the counts."""

    times: list[float] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)  # (n, 3): id, x, y
    released: int = 0
    arrived: int = 0
    waiting: int = 0
    simulated_s: float = 0.0
    wall_s: float = 0.0
    complete: bool = True
    note: str = ""


def lay_out(
    scenario: CrowdScenario, walkable: WalkableArea, site_zones: dict[str, Any]
) -> CrowdSetup:
    """Cut every place to the walkable area; PlaceError names the first one that is off it."""
    sources = _cut(walkable, scenario.sources, "sources", "source")
    initial = _cut(walkable, scenario.initial, "initial", "crowd")
    # JuPedSim wants a convex exit; a circle cut by kerbs is not always one.
    exits = {
        place_id: area.convex_hull
        for place_id, area in _cut(
            walkable, scenario.destinations, "destinations", "destination"
        ).items()
    }
    zones = {}
    for zone_id, polygon in site_zones.items():
        cut = polygon.intersection(walkable.polygon)
        if cut.area >= MIN_PLACE_M2:
            zones[zone_id] = cut
    for i, zone in enumerate(scenario.zones):
        cut = walkable.place(zone).intersection(walkable.polygon)
        if cut.area < MIN_PLACE_M2:
            raise PlaceError(["zones", i], f"zone {zone.id!r} is outside the walkable area")
        zones[zone.id] = cut
    for source_id, area in sources.items():
        zones.setdefault(source_id, area.buffer(15.0).intersection(walkable.polygon))
    for crowd_id, area in initial.items():
        zones.setdefault(crowd_id, area)
    return CrowdSetup(walkable, sources, initial, exits, zones)


def _cut(walkable: WalkableArea, places: Sequence[Any], field: str, noun: str) -> dict[str, Any]:
    """Each place cut to the walkable area, by id; PlaceError at the first one off it."""
    cut = {}
    for i, place in enumerate(places):
        area = inside(walkable, place, MIN_PLACE_M2)
        if area is None:
            raise PlaceError([field, i], f"{noun} {place.id!r} is outside the walkable area")
        cut[place.id] = area
    return cut


def _journeys(
    routes: Sequence[RouteShare], order: list[str], n: int, rng: np.random.Generator
) -> np.ndarray:
    shares = np.zeros(len(order))
    for route in routes:
        shares[order.index(route.destination)] += route.share
    return rng.choice(len(order), size=n, p=shares / shares.sum())


def _releases(
    scenario: CrowdScenario, setup: CrowdSetup, rng: np.random.Generator
) -> list[Release]:
    order = [d.id for d in scenario.destinations]
    releases = []
    for source in scenario.sources:
        total = source.total
        times = source.start_s + np.arange(total) * (source.over_s / total)
        journeys = _journeys(source.to, order, total, rng)
        releases.append(Release(source.id, setup.sources[source.id], times, journeys))
    return releases


def _random_point(area: Any, rng: np.random.Generator) -> tuple[float, float] | None:
    minx, miny, maxx, maxy = area.bounds
    for _ in range(20):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        point = Point(x, y)
        if area.contains(point) and area.exterior.distance(point) > AGENT_RADIUS_M:
            return float(x), float(y)
    return None


def hex_spots(area: Any, wanted: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """`wanted` spots of a hexagonal lattice (spacing SPAWN_CLEARANCE_M) inside `area`.

    Random placement jams near 3 p/m2 with this spacing; the lattice holds 5.7 p/m2, so a
    hot spot seeded from the twin gets the density it has.
    """
    minx, miny, maxx, maxy = area.bounds
    step = SPAWN_CLEARANCE_M + 0.011
    rows = np.arange(miny, maxy, step * np.sqrt(3) / 2)
    points = [
        (x + (step / 2 if i % 2 else 0.0), y)
        for i, y in enumerate(rows)
        for x in np.arange(minx, maxx, step)
    ]
    if not points:
        return []
    xs, ys = np.array(points).T
    inner = area.buffer(-AGENT_RADIUS_M)
    keep = shapely.contains_xy(inner, xs, ys)
    # 5 mm of noise: people on exactly collinear spots make degenerate Voronoi cells.
    candidates = np.column_stack([xs[keep], ys[keep]]) + rng.uniform(-0.005, 0.005, (keep.sum(), 2))
    if len(candidates) <= wanted:
        return [(float(x), float(y)) for x, y in candidates]
    chosen = rng.choice(len(candidates), size=wanted, replace=False)
    return [(float(x), float(y)) for x, y in candidates[chosen]]


class CrowdRun:
    """One JuPedSim simulation of a scenario; `run()` steps it to the end and records."""

    def __init__(self, scenario: CrowdScenario, setup: CrowdSetup) -> None:
        self.scenario = scenario
        self.setup = setup
        self.rng = np.random.default_rng(scenario.seed)
        try:
            self.sim = jps.Simulation(
                model=jps.CollisionFreeSpeedModel(),
                geometry=setup.walkable.polygon,
                dt=scenario.step_s,
            )
        except Exception as exc:  # JuPedSim raises plain RuntimeErrors on bad geometry
            raise SimulationError(f"JuPedSim cannot mesh the walkable area: {exc}") from None
        self.journeys: list[tuple[int, int]] = []
        for destination in scenario.destinations:
            exit_id = self.sim.add_exit_stage(setup.exits[destination.id])
            journey = self.sim.add_journey(jps.JourneyDescription([exit_id]))
            self.journeys.append((journey, exit_id))
        self.releases = _releases(scenario, setup, self.rng)
        self.trace = CrowdTrace()
        self._seed()

    def _seed(self) -> None:
        """Stand the initial crowds on their areas, spread evenly (JuPedSim's distribution)."""
        order = [d.id for d in self.scenario.destinations]
        for crowd in self.scenario.initial:
            area = self.setup.initial[crowd.id]
            wanted = round(crowd.persons_per_m2 * area.area)
            spots = hex_spots(area, wanted, self.rng)
            if len(spots) < wanted:
                raise SimulationError(
                    f"cannot stand {wanted} people on crowd {crowd.id!r} ({area.area:.0f} m2): "
                    f"{len(spots)} fit without overlapping"
                )
            journeys = _journeys(crowd.to, order, len(spots), self.rng)
            if crowd.nearest:
                # Crossing streams deadlock a first-order model in a dense crowd; people in a
                # crowd that disperses head for the way out nearest them.
                allowed = [order.index(r.destination) for r in crowd.to]
                exits = [self.setup.exits[order[i]] for i in allowed]
                journeys = np.array(
                    [
                        allowed[int(np.argmin([e.distance(Point(xy)) for e in exits]))]
                        for xy in spots
                    ]
                )
            for xy, journey in zip(spots, journeys, strict=True):
                if self.place((float(xy[0]), float(xy[1])), int(journey)):
                    self.trace.released += 1

    def _speed(self) -> float:
        s = self.scenario.speed
        return float(np.clip(self.rng.normal(s.mean_mps, s.sd_mps), s.min_mps, s.max_mps))

    def place(self, xy: tuple[float, float], journey: int) -> bool:
        """Add one agent at `xy` walking `journey` unless someone stands there."""
        if next(iter(self.sim.agents_in_range(xy, SPAWN_CLEARANCE_M)), None) is not None:
            return False
        journey_id, stage_id = self.journeys[journey]
        try:
            self.sim.add_agent(
                jps.CollisionFreeSpeedModelAgentParameters(
                    position=xy,
                    journey_id=journey_id,
                    stage_id=stage_id,
                    desired_speed=self._speed(),
                    radius=AGENT_RADIUS_M,
                    time_gap=self.scenario.speed.time_gap_s,
                )
            )
        except Exception:  # outside the mesh by a hair: try another spot
            return False
        return True

    def _release(self, now: float) -> None:
        for release in self.releases:
            while release.next < len(release.times) and release.times[release.next] <= now:
                placed = False
                for _ in range(SPAWN_TRIES):
                    xy = _random_point(release.area, self.rng)
                    if xy is not None and self.place(xy, int(release.journeys[release.next])):
                        placed = True
                        break
                if not placed:
                    break  # the source area is full: the rest wait (inside the station)
                release.next += 1
                self.trace.released += 1
        self.trace.waiting = sum(
            len(r.times) - r.next for r in self.releases if len(r.times) and r.times[0] <= now
        )

    def _record(self) -> np.ndarray:
        rows = [(a.id, a.position[0], a.position[1]) for a in self.sim.agents()]
        frame = np.array(rows, dtype=float).reshape(-1, 3)
        if not np.isfinite(frame).all():
            raise SimulationError(
                f"the simulation diverged at t={self.sim.elapsed_time():.1f} s "
                "(non-finite positions); try a smaller step_s"
            )
        self.trace.times.append(float(self.sim.elapsed_time()))
        self.trace.frames.append(frame)
        return frame

    def pending(self) -> bool:
        return any(r.next < len(r.times) for r in self.releases) or self.sim.agent_count() > 0

    def run(
        self, progress: Callable[[float], None] | None = None, max_wall_s: float = 600.0
    ) -> CrowdTrace:
        """Step until everyone arrived or `duration_s`; SimulationError on divergence."""
        scenario = self.scenario
        steps = max(1, round(scenario.sample_s / scenario.step_s))
        started = time.perf_counter()
        last: tuple[float, np.ndarray] | None = None
        self._release(0.0)
        self._record()
        while self.pending() and self.sim.elapsed_time() < scenario.duration_s:
            try:
                self.sim.iterate(steps)
            except Exception as exc:
                raise SimulationError(
                    f"JuPedSim stopped at t={self.sim.elapsed_time():.1f} s: {exc}"
                ) from None
            now = float(self.sim.elapsed_time())
            self._release(now)
            frame = self._record()
            last = self._watch(frame, last, now)
            if progress is not None:
                progress(min(1.0, now / self._horizon()))
            if time.perf_counter() - started > max_wall_s:
                raise SimulationError(
                    f"stopped after {max_wall_s:.0f} s of wall time at t={now:.0f} s simulated"
                )
        self.trace.simulated_s = float(self.sim.elapsed_time())
        self.trace.arrived = self.trace.released - self.sim.agent_count()
        self.trace.wall_s = time.perf_counter() - started
        if self.pending():
            self.trace.complete = False
            self.trace.note = (
                f"{self.sim.agent_count()} people still walking and {self.trace.waiting} not yet "
                f"out at duration_s={scenario.duration_s:.0f}"
            )
        return self.trace

    def _horizon(self) -> float:
        last_release = max((float(r.times[-1]) for r in self.releases if len(r.times)), default=0.0)
        return min(self.scenario.duration_s, last_release + 240.0)

    def _watch(
        self, frame: np.ndarray, last: tuple[float, np.ndarray] | None, now: float
    ) -> tuple[float, np.ndarray]:
        """Gridlock check every GRIDLOCK_S: someone must have moved, or the run stops."""
        if last is None or now - last[0] < GRIDLOCK_S:
            return last if last is not None else (now, frame)
        before = {int(r[0]): r[1:] for r in last[1]}
        moved = [
            float(np.hypot(*(row[1:] - before[int(row[0])])))
            for row in frame
            if int(row[0]) in before
        ]
        if moved and max(moved) < GRIDLOCK_M:
            raise SimulationError(
                f"gridlock: {frame.shape[0]} people stood still from t={last[0]:.0f} s "
                f"to t={now:.0f} s (a closure may cut them off from their destination)"
            )
        return (now, frame)
