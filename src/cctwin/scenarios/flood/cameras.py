"""Which cameras watch a drainage node: the node inside (or at the edge of) a ground footprint."""

from __future__ import annotations

from collections.abc import Sequence

import shapely  # type: ignore[import-untyped]

from cctwin.twin.footprint import SiteGeometry
from cctwin.twin.zones_map import CameraFootprint

# Water spreads from a flooded inlet along the kerb: a camera whose footprint ends this close to
# the inlet sees the water even when the grate itself is just out of the picture.
WATCH_MARGIN_M = 10.0


def watching_cameras(
    nodes_lonlat: Sequence[tuple[float, float]],
    footprints: Sequence[CameraFootprint],
    geometry: SiteGeometry,
    margin_m: float = WATCH_MARGIN_M,
) -> list[list[str]]:
    """For each node (lon, lat), the ids of the cameras whose footprint covers it."""
    out: list[list[str]] = [[] for _ in nodes_lonlat]
    if not nodes_lonlat or not footprints:
        return out
    points = shapely.points(geometry.to_metres(list(nodes_lonlat)))
    for footprint in footprints:
        if footprint.ground.is_empty:
            continue
        area = footprint.ground.buffer(margin_m)
        shapely.prepare(area)
        for index in shapely.contains_xy(
            area, shapely.get_x(points), shapely.get_y(points)
        ).nonzero()[0]:
            out[int(index)].append(footprint.view.camera_id)
    return out
