"""Footprints and zones on the map: map zones into images, image zones onto the map, shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely import affinity
from shapely.geometry import Polygon, mapping  # type: ignore[import-untyped]

from cctwin.config import CameraConfig
from cctwin.config.service import MapZoneConfig
from cctwin.geometry import apply_homography
from cctwin.twin.footprint import CameraView, SiteGeometry, camera_view, visible_image_region

# Shares below this are rounding noise of the clipping, not a camera that sees the zone.
_MIN_SHARE = 1e-4
_DECIMALS = 7


@dataclass(frozen=True, slots=True)
class CameraFootprint:
    """One camera's footprint in site metres, and the view it came from."""

    view: CameraView
    ground: Any  # shapely geometry in site metres


@dataclass(frozen=True, slots=True)
class ZoneInCamera:
    """A map zone as one camera sees it: the image polygon (normalised) and the visible share."""

    camera_id: str
    image_polygon: list[tuple[float, float]]
    visible_share: float


@dataclass(slots=True)
class ZoneCoverage:
    """A map zone: its area, the share any camera sees, the walkable part of that, per camera."""

    zone_id: str
    name: str
    area_m2: float
    visible_share: float
    visible_walkable_m2: float
    cameras: list[ZoneInCamera] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        if self.visible_share < _MIN_SHARE:
            return "outside every camera footprint"
        if self.visible_share < 1.0 - 1e-3:
            return f"only {self.visible_share:.0%} inside camera footprints"
        return None


def footprints(
    cameras: Sequence[CameraConfig], geometry: SiteGeometry, max_range_m: float
) -> list[CameraFootprint]:
    """The occluded footprint of every placed camera."""
    out = []
    for camera in cameras:
        view = camera_view(camera, max_range_m)
        if view is not None:
            out.append(CameraFootprint(view, geometry.footprint(view)))
    return out


def _camera_offset(geometry: SiteGeometry, view: CameraView) -> tuple[float, float]:
    (eye,) = geometry.to_metres([(view.lon, view.lat)])
    return float(eye[0]), float(eye[1])


def ground_to_image(
    geometry: SiteGeometry, view: CameraView, ground: Any
) -> list[tuple[float, float]]:
    """A ground polygon (site metres, inside the view's footprint) as a normalised image polygon."""
    if ground.is_empty or ground.geom_type != "Polygon":
        ground = max(getattr(ground, "geoms", [ground]), key=lambda g: g.area, default=ground)
    if ground.is_empty:
        return []
    ex, ey = _camera_offset(geometry, view)
    local = np.asarray(ground.exterior.coords[:-1], dtype=np.float64) - (ex, ey)
    image = apply_homography(np.linalg.inv(view.homography).astype(np.float64), local)
    return [(round(float(x), 4), round(float(y), 4)) for x, y in image]


def image_to_ground(
    geometry: SiteGeometry, view: CameraView, polygon: Sequence[Sequence[float]]
) -> Any:
    """A normalised image polygon on the ground (site metres), the part below the horizon only."""
    image = shapely.make_valid(Polygon([(float(x), float(y)) for x, y in polygon]))
    visible = image.intersection(Polygon(visible_image_region(view.homography)))
    if visible.is_empty or visible.geom_type != "Polygon":
        return Polygon()
    ground = apply_homography(view.homography, np.asarray(visible.exterior.coords[:-1]))
    ex, ey = _camera_offset(geometry, view)
    return affinity.translate(shapely.make_valid(Polygon(ground)), ex, ey)


def zone_coverage(
    zone: MapZoneConfig, geometry: SiteGeometry, cameras: Sequence[CameraFootprint]
) -> ZoneCoverage:
    """How much of a map zone the cameras see, and each seeing camera's image polygon."""
    area = shapely.make_valid(geometry.geometry_to_metres(Polygon(zone.polygon)))
    seen = []
    for cam in cameras:
        part = area.intersection(cam.ground)
        share = part.area / area.area if area.area > 0 else 0.0
        if share >= _MIN_SHARE:
            seen.append((cam, part, share))
    union = shapely.union_all([p for _, p, _ in seen]) if seen else Polygon()
    buildings = [b.outline for b in geometry.buildings]
    walkable = union.difference(shapely.union_all(buildings)) if buildings and seen else union
    return ZoneCoverage(
        zone_id=zone.id,
        name=zone.name or zone.id,
        area_m2=float(area.area),
        visible_share=float(union.area / area.area) if area.area > 0 else 0.0,
        visible_walkable_m2=float(walkable.area),
        cameras=[
            ZoneInCamera(cam.view.camera_id, ground_to_image(geometry, cam.view, part), share)
            for cam, part, share in seen
        ],
    )


def _rounded(geojson_geometry: dict[str, Any]) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, _DECIMALS)
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return {"type": geojson_geometry["type"], "coordinates": walk(geojson_geometry["coordinates"])}


def footprints_geojson(
    geometry: SiteGeometry,
    cameras: Sequence[CameraFootprint],
    configs: Sequence[CameraConfig],
    states: dict[str, str],
) -> dict[str, Any]:
    """Footprints (kind "footprint") and image zones on the ground (kind "image_zone")."""
    features: list[dict[str, Any]] = []
    by_id = {c.id: c for c in configs}
    for cam in cameras:
        camera_id = cam.view.camera_id
        config = by_id[camera_id]
        state = states.get(camera_id, "starting" if config.enabled else "offline")
        lonlat = geometry.geometry_to_lonlat(cam.ground)
        if not lonlat.is_empty:
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kind": "footprint",
                        "camera_id": camera_id,
                        "state": state,
                        "source": cam.view.source,
                        "area_m2": round(float(cam.ground.area), 1),
                    },
                    "geometry": _rounded(mapping(lonlat)),
                }
            )
        for zone in config.analytics.zones:
            ground = image_to_ground(geometry, cam.view, zone.polygon).intersection(cam.ground)
            if ground.is_empty:
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kind": "image_zone",
                        "camera_id": camera_id,
                        "zone_id": zone.id,
                        "name": zone.name or zone.id,
                        # The ground the image zone really shows: inside the footprint, so
                        # neither buildings nor what they hide; a density divides by this.
                        "visible_walkable_m2": round(float(ground.area), 1),
                    },
                    "geometry": _rounded(mapping(geometry.geometry_to_lonlat(ground))),
                }
            )
    return {"type": "FeatureCollection", "features": features}


def zones_geojson(
    geometry: SiteGeometry, coverages: Sequence[ZoneCoverage], zones: Sequence[MapZoneConfig]
) -> dict[str, Any]:
    """Map zones with their visible share, walkable visible area and a warning when unseen."""
    by_id = {c.zone_id: c for c in coverages}
    features = []
    for zone in zones:
        cover = by_id[zone.id]
        ring = [list(p) for p in zone.polygon]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": zone.id,
                "properties": {
                    "kind": "map_zone",
                    "zone_id": zone.id,
                    "name": cover.name,
                    "area_m2": round(cover.area_m2, 1),
                    "visible_share": round(cover.visible_share, 4),
                    "visible_walkable_m2": round(cover.visible_walkable_m2, 1),
                    "cameras": [
                        {
                            "camera_id": c.camera_id,
                            "visible_share": round(c.visible_share, 4),
                            "image_polygon": c.image_polygon,
                        }
                        for c in cover.cameras
                    ],
                    "warning": cover.warning,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}
