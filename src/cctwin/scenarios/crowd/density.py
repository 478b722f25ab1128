"""Voronoi density per zone over time (pedpy), the peak, and the time to the danger level."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely  # type: ignore[import-untyped]

# A Voronoi cell is cut to a circle of this radius (pedpy's Cutoff): a lone walker counts as
# 1/(pi r^2) = 0.32 p/m2 instead of owning the whole street.
CUTOFF_M = 1.0
# Cells reaching into a zone belong to people within CUTOFF_M of it; their neighbours that
# shape the cell stand within another 2 x CUTOFF_M. Everyone farther is left out (exact).
_MARGIN_M = 3 * CUTOFF_M


def _pedpy() -> Any:
    """pedpy, imported on first use without the root-logger set-up it does on import.

    pedpy calls logging.basicConfig(level=INFO) when imported, which would take over the
    logging of the service (and print alembic's start-up chatter on every `cctwin up`).
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    import pedpy

    root.handlers[:] = handlers
    root.setLevel(level)
    return pedpy


# The interior ministry's danger level (persons/m2); Itaewon reached 9-11.
DANGER_P_M2 = 6.0


@dataclass(frozen=True, slots=True)
class ZoneSeries:
    """Density (persons/m2) of one zone at each sampled time."""

    zone_id: str
    density: np.ndarray

    @property
    def peak(self) -> float:
        return float(self.density.max()) if self.density.size else 0.0


def zone_densities(
    times: Sequence[float], frames: Sequence[np.ndarray], walkable: Any, zones: dict[str, Any]
) -> list[ZoneSeries]:
    """Classic Voronoi density of every zone at every recorded frame (0 when nobody is near).

    One Voronoi diagram per frame serves every zone: only people near some zone take part,
    and the walkable area is cut to the zones' surroundings first (pedpy clips every cell
    with it, and the whole district's outline is thousands of vertices).
    """
    n = len(times)
    if not zones:
        return []
    near = shapely.union_all([z.buffer(_MARGIN_M) for z in zones.values()])
    # buffer(0) mends the self-touching rings an intersection can leave (GEOS refuses them).
    local = shapely.make_valid(walkable.intersection(near.buffer(2 * CUTOFF_M))).buffer(0)
    rows = [
        np.column_stack([frame[:, 0], np.full(len(frame), i), frame[:, 1], frame[:, 2]])
        for i, frame in enumerate(frames)
        if len(frame)
    ]
    series = {zone_id: np.zeros(n) for zone_id in zones}
    if rows:
        table = pd.DataFrame(np.vstack(rows), columns=["id", "frame", "x", "y"])
        table = table.astype({"id": int, "frame": int})
        table = table[shapely.contains_xy(near, table["x"].to_numpy(), table["y"].to_numpy())]
        rate = 1.0 / (times[1] - times[0]) if n > 1 else 1.0
        for piece in getattr(local, "geoms", [local]):
            inside = shapely.contains_xy(piece, table["x"].to_numpy(), table["y"].to_numpy())
            cells = _cells(table[inside], rate, piece)
            if cells is not None:
                _add_shares(cells, zones, series)
    return [ZoneSeries(zone_id, values) for zone_id, values in series.items()]


def _cells(table: pd.DataFrame, rate: float, area: Any) -> pd.DataFrame | None:
    """pedpy's individual Voronoi cells (cut off at CUTOFF_M) of the people in `area`."""
    # pedpy needs at least 4 people in a frame for a Voronoi diagram; fewer get none.
    counts = table.groupby("frame")["id"].transform("size")
    table = table[counts >= 4]
    if table.empty or area.geom_type != "Polygon":
        return None
    pedpy = _pedpy()
    trajectory = pedpy.TrajectoryData(data=table.reset_index(drop=True), frame_rate=rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pedpy warns about people outside the area's hull
        try:
            return _voronoi(trajectory, area)
        except shapely.errors.GEOSException:
            # People on exactly collinear spots (a seeded lattice) give degenerate cells that
            # trip GEOS; a millimetre of noise changes no density but puts them in general
            # position.
            noisy = table.reset_index(drop=True)
            jitter = np.random.default_rng(0).normal(0.0, 1e-3, size=(len(noisy), 2))
            noisy[["x", "y"]] = noisy[["x", "y"]].to_numpy() + jitter
            retry = pedpy.TrajectoryData(data=noisy, frame_rate=rate)
            return _voronoi(retry, area.simplify(0.02).buffer(0))


def _voronoi(trajectory: Any, area: Any) -> pd.DataFrame:
    pedpy = _pedpy()
    cells: pd.DataFrame = pedpy.compute_individual_voronoi_polygons(
        traj_data=trajectory,
        walkable_area=pedpy.WalkableArea(area),
        cut_off=pedpy.Cutoff(radius=CUTOFF_M, quad_segments=3),
    )
    return cells


def _add_shares(cells: pd.DataFrame, zones: dict[str, Any], series: dict[str, np.ndarray]) -> None:
    # pedpy's own zone density wants a convex zone; streets are not. The same classic Voronoi
    # density (Steffen & Seyfried 2010): each cell counts with the share of it in the zone.
    polygons = cells["polygon"].to_numpy()
    areas = shapely.area(polygons)
    frames = cells["frame"].to_numpy(dtype=int)
    for zone_id, zone in zones.items():
        shares = shapely.area(shapely.intersection(polygons, zone)) / areas
        per_frame = pd.Series(shares).groupby(frames).sum() / zone.area
        series[zone_id][per_frame.index.to_numpy(dtype=int)] += per_frame.to_numpy(dtype=float)


@dataclass(frozen=True, slots=True)
class Peak:
    """The highest zone density, where and when; and when the danger level was first met."""

    density: float
    zone_id: str
    time_s: float
    danger_time_s: float | None


def peak(times: Sequence[float], series: Sequence[ZoneSeries]) -> Peak:
    best = max(series, key=lambda s: s.peak, default=None)
    if best is None or best.peak <= 0:
        return Peak(0.0, "", 0.0, None)
    at = int(np.argmax(best.density))
    danger = [
        float(times[int(np.argmax(s.density >= DANGER_P_M2))])
        for s in series
        if (s.density >= DANGER_P_M2).any()
    ]
    return Peak(best.peak, best.zone_id, float(times[at]), min(danger) if danger else None)
