"""Covered share of roads, parks and trails from the camera footprints, and the blind spots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import shapely  # type: ignore[import-untyped]
from pydantic import BaseModel
from shapely.geometry import Polygon, mapping  # type: ignore[import-untyped]

from cctwin.config import CameraConfig, Config
from cctwin.config.planning import ClassWeightsConfig, PlanningConfig
from cctwin.twin.district import build_district_map
from cctwin.twin.footprint import SiteGeometry
from cctwin.twin.osm import TRAIL_WIDTH_M, SiteModel

SurfaceClass = Literal["roads", "parks", "trails"]
# Highest weight first: where a footway crosses a park or a road, the piece counts once, as
# the class listed earlier (a trail through a park is a trail).
SURFACE_CLASSES: tuple[SurfaceClass, ...] = ("trails", "parks", "roads")
CoverageStatus = Literal["placed", "not placed", "offline"]

# Round ends on the buffered centre-lines: junctions close without gaps; 4 segments per
# quarter circle are within a few centimetres at road widths.
_BUFFER_SEGMENTS = 4
_DECIMALS = 7


class ClassCoverage(BaseModel):
    """One surface class: its area, the part inside a live footprint, the share, the weight."""

    area_m2: float
    covered_m2: float
    fraction: float
    weight: float


class CameraCoverage(BaseModel):
    """One camera's part: its footprint, the weighted target it sees and what only it sees."""

    camera_id: str
    status: CoverageStatus
    footprint_m2: float = 0.0
    weighted_m2: float = 0.0
    unique_weighted_m2: float = 0.0
    megapixels: float = 0.0


class CoverageReport(BaseModel):
    """What `cctwin twin coverage` prints and `GET /api/planning/coverage` returns."""

    covered_fraction: float
    by_class: dict[str, ClassCoverage]
    blind_spots: dict[str, Any]
    cameras: list[CameraCoverage]
    not_placed: list[str]
    offline: list[str]


@dataclass(frozen=True, slots=True)
class TargetSurfaces:
    """The walkable ground per class in site metres (disjoint, buildings cut out), weighted."""

    geometry: SiteGeometry
    by_class: Mapping[SurfaceClass, Any]  # shapely geometries in site metres
    weights: Mapping[SurfaceClass, float]

    def weighted_area(self, ground: Any) -> float:
        """Sum over classes of weight x the area of `ground` on that class."""
        return sum(
            self.weights[c] * float(shapely.intersection(ground, s).area)
            for c, s in self.by_class.items()
        )

    @property
    def total_weighted_m2(self) -> float:
        return sum(self.weights[c] * float(s.area) for c, s in self.by_class.items())


@dataclass(frozen=True, slots=True)
class Coverage:
    """The surfaces, the live cameras' footprints and their union, and the report."""

    surfaces: TargetSurfaces
    footprints: Mapping[str, Any]
    covered: Any
    report: CoverageReport


def target_surfaces(
    model: SiteModel, geometry: SiteGeometry, weights: ClassWeightsConfig
) -> TargetSurfaces:
    """Roads and trails buffered to their widths, parks as drawn, minus buildings, disjoint."""
    raw: dict[SurfaceClass, list[Any]] = {c: [] for c in SURFACE_CLASSES}
    for feature in model.layer("roads"):
        line = geometry.geometry_to_metres(feature.geometry)
        raw["roads"].append(line.buffer((feature.width_m or 6.0) / 2, quad_segs=_BUFFER_SEGMENTS))
    for feature in model.layer("trails"):
        line = geometry.geometry_to_metres(feature.geometry)
        width = feature.width_m or TRAIL_WIDTH_M
        raw["trails"].append(line.buffer(width / 2, quad_segs=_BUFFER_SEGMENTS))
    for feature in model.layer("parks"):
        raw["parks"].append(shapely.make_valid(geometry.geometry_to_metres(feature.geometry)))
    taken = (
        shapely.union_all([b.outline for b in geometry.buildings])
        if geometry.buildings
        else Polygon()
    )
    by_class: dict[SurfaceClass, Any] = {}
    for surface in SURFACE_CLASSES:
        merged = shapely.union_all(raw[surface]) if raw[surface] else Polygon()
        by_class[surface] = merged.difference(taken)
        taken = shapely.union(taken, merged)
    return TargetSurfaces(
        geometry=geometry,
        by_class=by_class,
        weights={c: float(getattr(weights, c)) for c in SURFACE_CLASSES},
    )


def camera_status(camera: CameraConfig, states: Mapping[str, str]) -> CoverageStatus:
    """Placed and counted, not placed (no position on the map), or offline (not seeing now)."""
    if camera.placement is None:
        return "not placed"
    state = states.get(camera.id, "starting" if camera.enabled else "offline")
    return "offline" if state == "offline" else "placed"


def measure(
    config: Config, states: Mapping[str, str] | None = None, planning: PlanningConfig | None = None
) -> Coverage:
    """Coverage of the configured site by the configured cameras (offline ones do not count).

    `states` maps camera id to its live state (online / offline / ...); without it every
    enabled camera counts. Raises ValueError naming the file when the site model is unreadable.
    """
    states = states or {}
    planning = planning or config.planning
    live = [c for c in config.cameras if camera_status(c, states) == "placed"]
    district = build_district_map(config, live)
    surfaces = target_surfaces(district.model, district.geometry, planning.weights)
    prints = {f.view.camera_id: f.ground for f in district.footprints}
    covered = shapely.union_all(list(prints.values())) if prints else Polygon()
    report = CoverageReport(
        covered_fraction=round(weighted_fraction(surfaces, covered), 4),
        by_class=class_coverage(surfaces, covered),
        blind_spots=blind_spots_geojson(surfaces, covered, planning.min_blind_spot_m2),
        cameras=_camera_rows(config.cameras, states, surfaces, prints),
        not_placed=[c.id for c in config.cameras if c.placement is None],
        offline=[c.id for c in config.cameras if camera_status(c, states) == "offline"],
    )
    return Coverage(surfaces=surfaces, footprints=prints, covered=covered, report=report)


def weighted_fraction(surfaces: TargetSurfaces, covered: Any) -> float:
    """Weighted covered area over weighted total area (0 when there is nothing to cover)."""
    total = surfaces.total_weighted_m2
    return surfaces.weighted_area(covered) / total if total > 0 else 0.0


def class_coverage(surfaces: TargetSurfaces, covered: Any) -> dict[str, ClassCoverage]:
    out: dict[str, ClassCoverage] = {}
    order: tuple[SurfaceClass, ...] = ("roads", "parks", "trails")
    for surface in order:
        ground = surfaces.by_class[surface]
        area = float(ground.area)
        seen = float(shapely.intersection(ground, covered).area)
        out[surface] = ClassCoverage(
            area_m2=round(area, 1),
            covered_m2=round(seen, 1),
            fraction=round(seen / area, 4) if area > 0 else 0.0,
            weight=surfaces.weights[surface],
        )
    return out


def blind_spots(
    surfaces: TargetSurfaces, covered: Any, min_area_m2: float
) -> list[tuple[str, Any]]:
    """(class, polygon in site metres) of every uncovered piece of at least `min_area_m2`, largest first."""
    pieces: list[tuple[str, Any]] = []
    for surface, ground in surfaces.by_class.items():
        uncovered = shapely.difference(ground, covered)
        for part in shapely.get_parts(uncovered):
            if part.geom_type == "Polygon" and part.area >= min_area_m2:
                pieces.append((surface, part))
    pieces.sort(key=lambda p: -float(p[1].area))
    return pieces


def blind_spots_geojson(
    surfaces: TargetSurfaces, covered: Any, min_area_m2: float
) -> dict[str, Any]:
    """The blind spots as a lon/lat FeatureCollection with `class` and `area_m2`, largest first."""
    features = []
    for rank, (surface, part) in enumerate(blind_spots(surfaces, covered, min_area_m2)):
        lonlat = surfaces.geometry.geometry_to_lonlat(part)
        features.append(
            {
                "type": "Feature",
                "id": f"blind-{rank + 1}",
                "properties": {
                    "kind": "blind_spot",
                    "class": surface,
                    "area_m2": round(float(part.area), 1),
                },
                "geometry": rounded(mapping(lonlat)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def rounded(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry with coordinates rounded to 7 decimals (about 1 cm)."""

    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, _DECIMALS)
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def megapixels(camera: CameraConfig) -> float:
    """The camera's image size in megapixels (from its placement's resolution; 0 unplaced)."""
    if camera.placement is None:
        return 0.0
    width, height = camera.placement.resolution
    return width * height / 1e6


def _camera_rows(
    cameras: Sequence[CameraConfig],
    states: Mapping[str, str],
    surfaces: TargetSurfaces,
    prints: Mapping[str, Any],
) -> list[CameraCoverage]:
    """Per camera: status, footprint, weighted target seen and the part no other camera sees."""
    ids = list(prints)
    grounds = [prints[i] for i in ids]
    tree = shapely.STRtree(grounds)
    rows = []
    for camera in cameras:
        status = camera_status(camera, states)
        ground = prints.get(camera.id)
        if ground is None:
            rows.append(
                CameraCoverage(camera_id=camera.id, status=status, megapixels=megapixels(camera))
            )
            continue
        others = [
            grounds[int(j)]
            for j in tree.query(ground, predicate="intersects")
            if ids[int(j)] != camera.id
        ]
        alone = shapely.difference(ground, shapely.union_all(others)) if others else ground
        rows.append(
            CameraCoverage(
                camera_id=camera.id,
                status=status,
                footprint_m2=round(float(ground.area), 1),
                weighted_m2=round(surfaces.weighted_area(ground), 1),
                unique_weighted_m2=round(surfaces.weighted_area(alone), 1),
                megapixels=round(megapixels(camera), 2),
            )
        )
    return rows
