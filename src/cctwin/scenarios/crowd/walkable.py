"""The walkable area of a crowd what-if: streets and open spaces minus buildings, in metres."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely.geometry import Point, Polygon  # type: ignore[import-untyped]

from cctwin.geometry import lonlat_to_metres, metres_to_lonlat
from cctwin.scenarios.models import ClosureConfig, LonLat, PlaceConfig, RegionConfig, ZoneConfig
from cctwin.twin.osm import TRAIL_WIDTH_M, SiteModel

# Vertices closer than this are merged: JuPedSim's navigation mesh grows with the vertex
# count, and 20 cm is below a pedestrian's radius.
SIMPLIFY_M = 0.2
# Pieces of walkable area smaller than this (slivers between buildings) are dropped.
MIN_PIECE_M2 = 4.0


@dataclass(frozen=True, slots=True)
class WalkableArea:
    """The connected walkable polygon (metres east/north of `origin`) and its projection."""

    origin: LonLat
    polygon: Any  # shapely Polygon: what JuPedSim and pedpy walk on

    def to_metres(self, lonlat: LonLat) -> tuple[float, float]:
        (xy,) = lonlat_to_metres([lonlat], self.origin)
        return float(xy[0]), float(xy[1])

    def to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        return metres_to_lonlat(xy, self.origin)

    def place(self, place: PlaceConfig | ZoneConfig) -> Any:
        """The place as a shapely polygon in metres (not yet cut to the walkable area)."""
        if place.polygon is not None:
            return Polygon(lonlat_to_metres(place.polygon, self.origin))
        assert place.at is not None
        return Point(self.to_metres(place.at)).buffer(place.radius_m, quad_segs=8)


def street_areas(model: SiteModel, origin: LonLat) -> Any:
    """Roads at their width, trails at a footpath's width, and parks, as one area in metres."""
    pieces = []
    for feature in model.layer("roads"):
        width = feature.width_m or 6.0
        pieces.append(_metres(feature.geometry, origin).buffer(width / 2, quad_segs=2))
    for feature in model.layer("trails"):
        width = feature.width_m or TRAIL_WIDTH_M
        pieces.append(_metres(feature.geometry, origin).buffer(width / 2, quad_segs=2))
    for feature in model.layer("parks"):
        pieces.append(_metres(feature.geometry, origin))
    return shapely.union_all(pieces)


def _metres(geometry: Any, origin: LonLat) -> Any:
    return shapely.transform(geometry, lambda xy: lonlat_to_metres(xy, origin))


def walkable_area(
    model: SiteModel,
    origin: LonLat,
    region: RegionConfig | None = None,
    closures: Sequence[ClosureConfig] = (),
) -> WalkableArea:
    """The piece of walkable area nearest `origin`, bounded by `region`, minus `closures`.

    Raises ValueError when the site model has no streets or the region holds none.
    """
    area = street_areas(model, origin)
    if area.is_empty:
        raise ValueError("the site model has no roads, trails or parks to walk on")
    buildings = [_metres(f.geometry, origin) for f in model.layer("buildings")]
    if buildings:
        area = area.difference(shapely.union_all(buildings))
    frame = WalkableArea(origin, area)
    if region is not None:
        centre = Point(frame.to_metres(region.center))
        area = area.intersection(centre.buffer(region.radius_m, quad_segs=16))
    for closure in closures:
        area = area.difference(frame.place(closure))
    area = area.simplify(SIMPLIFY_M).buffer(0)
    pieces = [p for p in getattr(area, "geoms", [area]) if p.area >= MIN_PIECE_M2]
    if not pieces:
        raise ValueError("the scenario's region holds no walkable area")
    anchor = Point(0.0, 0.0)
    piece = min(pieces, key=lambda p: p.distance(anchor))
    # Holes smaller than a person are mapping noise; JuPedSim would mesh each of them.
    holes = [h for h in piece.interiors if Polygon(h).area >= 1.0]
    return WalkableArea(origin, Polygon(piece.exterior, holes))


def inside(walkable: WalkableArea, place: PlaceConfig | ZoneConfig, min_m2: float) -> Any:
    """The place cut to the walkable area; None when less than `min_m2` of it is walkable."""
    cut = walkable.place(place).intersection(walkable.polygon)
    if cut.is_empty or cut.area < min_m2:
        return None
    if cut.geom_type != "Polygon":
        cut = max(getattr(cut, "geoms", [cut]), key=lambda g: g.area)
        if cut.geom_type != "Polygon":
            return None
    return cut
