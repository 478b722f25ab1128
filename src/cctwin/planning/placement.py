"""K new cameras maximising weighted covered area: a max-coverage MILP (HiGHS) beside greedy."""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely  # type: ignore[import-untyped]
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from cctwin.planning.candidates import Option, PlacementError

__all__ = ["PlacementError"]
from cctwin.planning.coverage import TargetSurfaces

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Cells:
    """Grid cells of the surfaces not yet covered: centres (site metres) and weighted m2."""

    x: Floats
    y: Floats
    weight: Floats


@dataclass(frozen=True, slots=True)
class Instance:
    """The reduced max-coverage problem: which aggregated cells each kept option covers."""

    options: list[int]  # indices into the full option list
    positions: npt.NDArray[np.int64]  # position of each kept option
    cover: Any  # scipy CSR, kept options x aggregated cells, 0/1
    weight: Floats  # weighted m2 of each aggregated cell
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Solution:
    """Chosen options (indices into the full list), their weighted m2, and how it was found."""

    chosen: list[int]
    value_m2: float
    bound_m2: float | None = None
    status: str = ""
    wall_s: float = 0.0


def target_cells(surfaces: TargetSurfaces, grid_m: float, covered: Any) -> Cells:
    """Cell centres on a `grid_m` grid inside a surface and outside `covered`, weighted."""
    grounds = [g for g in surfaces.by_class.values() if not g.is_empty]
    if not grounds:
        empty = np.zeros(0, dtype=np.float64)
        return Cells(empty, empty, empty)
    minx, miny, maxx, maxy = shapely.total_bounds(grounds)
    xs = np.arange(minx + grid_m / 2, maxx, grid_m)
    ys = np.arange(miny + grid_m / 2, maxy, grid_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    weight = np.zeros(gx.shape, dtype=np.float64)
    for surface, ground in surfaces.by_class.items():
        shapely.prepare(ground)
        inside = shapely.contains_xy(ground, gx, gy) & (weight == 0)
        weight[inside] = surfaces.weights[surface] * grid_m * grid_m
    if not covered.is_empty:
        shapely.prepare(covered)
        weight[shapely.contains_xy(covered, gx, gy)] = 0.0
    keep = weight > 0
    return Cells(gx[keep], gy[keep], weight[keep])


def build_instance(options: Sequence[Option], cells: Cells) -> Instance:
    """Option x cell incidence, reduced: empty and dominated options out, twin cells merged."""
    grounds = np.array([o.ground for o in options], dtype=object)
    points = shapely.points(cells.x, cells.y)
    pairs = shapely.STRtree(points).query(grounds, predicate="contains")
    full = sparse.csr_matrix(
        (np.ones(pairs.shape[1]), (pairs[0], pairs[1])), shape=(len(options), len(points))
    )
    sizes = {"options": len(options), "cells": len(points), "incidences": int(pairs.shape[1])}
    kept = _undominated(options, full)
    cover = full[kept]
    # Cells that the same options cover are one cell with the summed weight.
    columns = cover.tocsc()
    groups: dict[bytes, int] = {}
    label = np.full(columns.shape[1], -1, dtype=np.int64)
    for c in range(columns.shape[1]):
        rows = columns.indices[columns.indptr[c] : columns.indptr[c + 1]]
        if len(rows):
            label[c] = groups.setdefault(np.sort(rows).tobytes(), len(groups))
    used = label >= 0
    merge = sparse.csr_matrix(
        (np.ones(int(used.sum())), (np.nonzero(used)[0], label[used])),
        shape=(columns.shape[1], len(groups)),
    )
    aggregated = (cover @ merge).tocsr()
    aggregated.data[:] = 1.0
    weight = np.asarray(merge.T @ cells.weight, dtype=np.float64).ravel()
    sizes |= {"options_kept": len(kept), "cells_aggregated": len(groups)}
    positions = np.array([options[i].position for i in kept], dtype=np.int64)
    return Instance(kept, positions, aggregated, weight, sizes)


def _undominated(options: Sequence[Option], full: Any) -> list[int]:
    """Options that cover something and no other option at their position covers a superset of."""
    sets = [
        frozenset(full.indices[full.indptr[i] : full.indptr[i + 1]]) for i in range(len(options))
    ]
    by_position: dict[int, list[int]] = {}
    for i, o in enumerate(options):
        if sets[i]:
            by_position.setdefault(o.position, []).append(i)
    kept = []
    for members in by_position.values():
        for i in members:
            # Of two equal sets the first stays; a strict superset always wins.
            if not any(
                j != i and sets[i] <= sets[j] and (sets[i] != sets[j] or j < i) for j in members
            ):
                kept.append(i)
    return sorted(kept)


def greedy(instance: Instance, k: int) -> Solution:
    """Lazy greedy: the option adding most uncovered weight, one per position, k times."""
    started = time.perf_counter()
    cover, weight = instance.cover, instance.weight
    rows = [cover.indices[cover.indptr[i] : cover.indptr[i + 1]] for i in range(cover.shape[0])]
    covered = np.zeros(len(weight), dtype=bool)
    heap = [(-float(weight[r].sum()), i) for i, r in enumerate(rows)]
    heapq.heapify(heap)
    used_positions: set[int] = set()
    chosen: list[int] = []
    total = 0.0
    while heap and len(chosen) < k:
        _, i = heapq.heappop(heap)
        if int(instance.positions[i]) in used_positions:
            continue
        # Gains only shrink as cells get covered (submodular): a fresh gain still at the top
        # of the heap is the best one.
        gain = float(weight[rows[i]][~covered[rows[i]]].sum())
        if heap and gain < -heap[0][0]:
            heapq.heappush(heap, (-gain, i))
            continue
        if gain <= 0:
            break
        chosen.append(i)
        used_positions.add(int(instance.positions[i]))
        covered[rows[i]] = True
        total += gain
    return Solution(
        [instance.options[i] for i in chosen],
        total,
        status="greedy",
        wall_s=time.perf_counter() - started,
    )


def solve_milp(instance: Instance, k: int, time_limit_s: float) -> Solution:
    """max sum w_c y_c: y_c <= sum of the options covering c, one option per position, k in all.

    HiGHS through `scipy.optimize.milp`; y is continuous in [0, 1] (the objective pushes it to
    1 exactly when a chosen option covers the cell). `bound_m2` is HiGHS's dual bound: no
    choice of k cameras covers more.
    """
    started = time.perf_counter()
    n_opt, n_cell = instance.cover.shape
    if n_opt == 0:
        return Solution([], 0.0, 0.0, "nothing to cover")
    c = np.concatenate([np.zeros(n_opt), -instance.weight])
    cells_rows = sparse.hstack([-instance.cover.T, sparse.identity(n_cell)])
    position_ids, position_of = np.unique(instance.positions, return_inverse=True)
    per_position = sparse.csr_matrix(
        (np.ones(n_opt), (position_of, np.arange(n_opt))), shape=(len(position_ids), n_opt)
    )
    constraints = [
        LinearConstraint(cells_rows.tocsr(), -np.inf, 0.0),
        LinearConstraint(
            sparse.hstack([per_position, sparse.csr_matrix((len(position_ids), n_cell))]).tocsr(),
            -np.inf,
            1.0,
        ),
        LinearConstraint(
            np.concatenate([np.ones(n_opt), np.zeros(n_cell)])[None, :], -np.inf, float(k)
        ),
    ]
    integrality = np.concatenate([np.ones(n_opt), np.zeros(n_cell)])
    result = milp(
        c,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        constraints=constraints,
        options={"time_limit": time_limit_s, "disp": False, "mip_rel_gap": 1e-4},
    )
    bound = getattr(result, "mip_dual_bound", None)
    bound_m2 = -float(bound) if bound is not None and np.isfinite(bound) else None
    wall = time.perf_counter() - started
    if result.x is None:
        return Solution([], 0.0, bound_m2, str(result.message), wall)
    x = result.x[:n_opt]
    chosen = [instance.options[i] for i in np.nonzero(x > 0.5)[0]]
    return Solution(chosen, -float(result.fun), bound_m2, str(result.message), wall)


def optimality_gap(best_m2: float, bound_m2: float | None) -> float | None:
    """(bound - best) / bound: how much more any choice could cover, at most (None: no bound)."""
    if bound_m2 is None:
        return None
    if bound_m2 <= 0:
        return 0.0
    return max(0.0, (bound_m2 - best_m2) / bound_m2)
