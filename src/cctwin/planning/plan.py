"""A camera plan for the configured site: coverage before, K new cameras, coverage after."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import shapely  # type: ignore[import-untyped]
from pydantic import BaseModel
from shapely.geometry import mapping  # type: ignore[import-untyped]

from cctwin.config import Config
from cctwin.planning.candidates import (
    CandidateSource,
    Option,
    Position,
    candidate_positions,
    mount_options,
)
from cctwin.planning.coverage import Coverage, measure, rounded, weighted_fraction
from cctwin.planning.placement import (
    PlacementError,
    Solution,
    build_instance,
    greedy,
    optimality_gap,
    solve_milp,
    target_cells,
)
from cctwin.planning.upgrades import Upgrade, rank_upgrades
from cctwin.twin.layers import load_site_model

# advance(stage, done, total): the CLI draws it as a progress bar, the API ignores it.
Progress = Callable[[str, int, int], None]


class PlannedCamera(BaseModel):
    """One proposed camera: where, which way, which lens, and the ground it sees (lon/lat)."""

    lon: float
    lat: float
    heading_deg: float
    fov_deg: float
    range_m: float
    position_id: str
    mount: str
    footprint: dict[str, Any]


class SolverRun(BaseModel):
    """One way of choosing: its weighted m2 (grid), the coverage it gives, its cameras."""

    value_m2: float
    after: float
    status: str
    wall_s: float
    bound_m2: float | None = None
    optimality_gap: float | None = None
    cameras: list[PlannedCamera]


class PlanReport(BaseModel):
    """What `cctwin twin plan` prints and `POST /api/planning/plan` returns."""

    before: float
    after: float
    cameras: list[PlannedCamera]
    optimality_gap: float | None
    chosen_by: str
    solver: SolverRun
    greedy: SolverRun
    candidates: dict[str, Any]
    not_placed: list[str]
    offline: list[str]
    upgrades: list[Upgrade]
    stages_s: dict[str, float]
    wall_s: float


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def plan_cameras(
    config: Config,
    add: int,
    source: CandidateSource = "auto",
    time_limit_s: float | None = None,
    states: Mapping[str, str] | None = None,
    events: Mapping[str, int] | None = None,
    progress: Progress = _quiet,
) -> PlanReport:
    """Choose `add` new cameras for the site; the MILP's choice unless greedy's covers more.

    Raises PlacementError (a ValueError) with the reason when `add` exceeds the candidate
    positions, and ValueError naming the file when the site model cannot be read.
    """
    laps = _Laps()
    planning = config.planning
    coverage = measure(config, states)
    laps.lap("coverage")
    positions, options = _candidates(config, coverage, add, source, progress)
    laps.lap("candidates")
    cells = target_cells(coverage.surfaces, planning.grid_m, coverage.covered)
    progress("matrix", 0, 1)
    instance = build_instance(options, cells)
    laps.lap("matrix")
    progress("solve", 0, 1)
    fast = greedy(instance, add)
    laps.lap("greedy")
    exact = solve_milp(instance, add, time_limit_s or planning.time_limit_s)
    laps.lap("milp")
    bound = exact.bound_m2
    best = exact if exact.value_m2 >= fast.value_m2 and exact.chosen else fast
    solver = _run(exact, coverage, options, positions, bound)
    first = _run(fast, coverage, options, positions, bound)
    rows = coverage.report.cameras
    return PlanReport(
        before=coverage.report.covered_fraction,
        after=solver.after if best is exact else first.after,
        cameras=solver.cameras if best is exact else first.cameras,
        optimality_gap=_round(optimality_gap(best.value_m2, bound)),
        chosen_by="milp" if best is exact else "greedy",
        solver=solver,
        greedy=first,
        candidates={
            "positions": len(positions),
            "kinds": sorted({p.kind for p in positions}),
            **instance.sizes,
        },
        not_placed=coverage.report.not_placed,
        offline=coverage.report.offline,
        upgrades=rank_upgrades(rows, planning.upgrade_below_mp, events),
        stages_s=laps.stages,
        wall_s=round(time.perf_counter() - laps.started, 2),
    )


class _Laps:
    """Seconds per stage of the plan, for the report and the benchmark."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 2)
        self.last = now


def _candidates(
    config: Config, coverage: Coverage, add: int, source: CandidateSource, progress: Progress
) -> tuple[list[Position], list[Option]]:
    """The candidate positions (K refused when there are fewer) and every mount option's footprint."""
    geometry = coverage.surfaces.geometry
    model = load_site_model(config.site)
    positions = candidate_positions(model, geometry, config.planning, source, config.site.osm)
    if add > len(positions):
        raise PlacementError(
            f"--add {add} is more than the {len(positions)} candidate positions; "
            "ask for fewer or lower planning.candidate_spacing_m"
        )
    progress("footprints", 0, len(positions))
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        progress("footprints", done[0], len(positions))

    return positions, mount_options(positions, geometry, config.planning, advance)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _run(
    solution: Solution,
    coverage: Coverage,
    options: Sequence[Option],
    positions: Sequence[Position],
    bound_m2: float | None,
) -> SolverRun:
    chosen = [options[i] for i in solution.chosen]
    after = shapely.union_all([coverage.covered, *(o.ground for o in chosen)])
    geometry = coverage.surfaces.geometry
    return SolverRun(
        value_m2=round(solution.value_m2, 1),
        after=round(weighted_fraction(coverage.surfaces, after), 4),
        status=solution.status,
        wall_s=round(solution.wall_s, 2),
        bound_m2=None if bound_m2 is None else round(bound_m2, 1),
        optimality_gap=_round(optimality_gap(solution.value_m2, bound_m2)),
        cameras=[
            PlannedCamera(
                lon=round(positions[o.position].lon, 7),
                lat=round(positions[o.position].lat, 7),
                heading_deg=o.heading_deg,
                fov_deg=o.fov_deg,
                range_m=o.range_m,
                position_id=positions[o.position].position_id,
                mount=positions[o.position].kind,
                footprint=rounded(mapping(geometry.geometry_to_lonlat(o.ground))),
            )
            for o in chosen
        ],
    )
