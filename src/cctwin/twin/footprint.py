"""Camera ground footprints: what each image sees on the ground, clipped by buildings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely  # type: ignore[import-untyped]
from shapely import affinity
from shapely.geometry import Point, Polygon  # type: ignore[import-untyped]

from cctwin.config import CameraConfig, PlacementConfig
from cctwin.geometry import apply_homography, fit_homography
from cctwin.geometry.earth import lonlat_to_metres, metres_to_lonlat

Points = npt.NDArray[np.float64]

# Rays closer to the horizon than this share of the steepest corner's "downness" are dropped:
# they land 10^4 times farther than the rest, far beyond any range cap, and would blow up.
_HORIZON_MARGIN = 1e-4
# A building the camera stands in or on (mounted on its wall) does not hide the street.
_MOUNT_TOLERANCE_M = 1.0
# A building at least as tall as the lens hides everything behind it; its shadow is cut here.
_FAR_SCALE = 1e4
_DISC_SEGMENTS = 16
IMAGE_RECT: Sequence[tuple[float, float]] = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True, slots=True)
class Building:
    """A building outline in local metres (east, north) around the site origin, with a height."""

    outline: Any  # shapely Polygon
    height_m: float


@dataclass(frozen=True, slots=True)
class CameraView:
    """A camera's ground geometry: position (lon, lat), lens height, and image -> ground metres.

    `homography` maps normalised image points (x right, y down, 0..1) to metres east/north of
    the camera; `source` says whether it came from the calibration or the mounting geometry.
    """

    camera_id: str
    lon: float
    lat: float
    height_m: float
    range_m: float
    homography: Points
    source: str


def mounting_homography(placement: PlacementConfig) -> Points:
    """Normalised image -> ground metres (east, north of the camera) from the mounting geometry.

    A pinhole at `height_m` looking along compass `heading_deg`, `tilt_deg` below the horizon,
    horizontal FOV `fov_deg` and the vertical FOV the resolution's aspect gives. A pixel's ray
    d = f + u r + v w (u, v linear in the pixel) meets the ground at h (dx, dy) / -dz, which is
    projective in the pixel: the 3x3 matrix below.
    """
    psi, tau = math.radians(placement.heading_deg), math.radians(placement.tilt_deg)
    width, height = placement.resolution
    tan_h = math.tan(math.radians(min(placement.fov_deg, 170.0)) / 2)
    tan_v = tan_h * height / width
    forward = np.array(
        [math.sin(psi) * math.cos(tau), math.cos(psi) * math.cos(tau), -math.sin(tau)]
    )
    right = np.array([math.cos(psi), -math.sin(psi), 0.0])
    down = np.array(
        [-math.sin(psi) * math.sin(tau), -math.cos(psi) * math.sin(tau), -math.cos(tau)]
    )
    # Ray of normalised pixel (x, y): forward + (2x - 1) tan_h right + (2y - 1) tan_v down.
    cx, cy = 2 * tan_h * right, 2 * tan_v * down
    c0 = forward - tan_h * right - tan_v * down
    ray = np.column_stack([cx, cy, c0])  # rows: dx, dy, dz as linear forms of (x, y, 1)
    h = placement.height_m
    return np.array([h * ray[0], h * ray[1], -ray[2]], dtype=np.float64)


def calibration_homography(camera: CameraConfig, placement: PlacementConfig) -> Points | None:
    """Normalised image -> metres around the camera from the calibration's point pairs."""
    calibration = camera.analytics.calibration
    if calibration is None or len(calibration.points) < 4:
        return None
    image = [(p.image[0], p.image[1]) for p in calibration.points]
    ground = lonlat_to_metres(
        [p.lonlat for p in calibration.points], (placement.lon, placement.lat)
    )
    try:
        h = fit_homography(image, ground)
    except (ValueError, np.linalg.LinAlgError):
        return None
    # Collinear or repeated points fit a matrix that cannot be inverted: no map <-> image
    # projection of zones then, so the mounting geometry is the better footprint.
    if abs(float(np.linalg.det(h))) < 1e-12 or not np.isfinite(h).all():
        return None
    # Keep w > 0 on the calibrated side of the horizon so that one clip rule fits both sources.
    w = h[2] @ np.array([*np.mean(image, axis=0), 1.0])
    out: Points = h if w > 0 else -h
    return out


def camera_view(camera: CameraConfig, max_range_m: float) -> CameraView | None:
    """The camera's ground geometry, from its calibration when it has one; None without placement."""
    placement = camera.placement
    if placement is None:
        return None
    calibrated = calibration_homography(camera, placement)
    return CameraView(
        camera_id=camera.id,
        lon=placement.lon,
        lat=placement.lat,
        height_m=placement.height_m,
        range_m=min(placement.range_m, max_range_m),
        homography=calibrated if calibrated is not None else mounting_homography(placement),
        source="calibration" if calibrated is not None else "mounting",
    )


def _clip_halfplane(points: list[tuple[float, float]], a: Any) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a convex polygon where a . (x, y, 1) >= 0."""
    out: list[tuple[float, float]] = []
    for i, p in enumerate(points):
        q = points[(i + 1) % len(points)]
        fp, fq = float(a @ (*p, 1.0)), float(a @ (*q, 1.0))
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def visible_image_region(homography: Points) -> list[tuple[float, float]]:
    """The part of the image (normalised) below the horizon, where pixels see the ground."""
    w_row = homography[2]
    corners_w = [float(w_row @ (*c, 1.0)) for c in IMAGE_RECT]
    threshold = _HORIZON_MARGIN * max(max(corners_w), 0.0)
    if threshold <= 0:
        return []
    return _clip_halfplane(list(IMAGE_RECT), w_row - np.array([0.0, 0.0, threshold]))


def raw_footprint(view: CameraView) -> Any:
    """Ground polygon (metres around the camera) of the image below the horizon, within range."""
    region = visible_image_region(view.homography)
    if len(region) < 3:
        return Polygon()
    ground = apply_homography(view.homography, region)
    quad = shapely.make_valid(Polygon(ground))
    return quad.intersection(Point(0, 0).buffer(view.range_m, quad_segs=_DISC_SEGMENTS))


def shadow(outline: Any, height_m: float, eye: tuple[float, float], eye_height_m: float) -> Any:
    """Ground a building hides from a lens at `eye`: the hull of base outline and projected roof.

    A roof edge at distance e hides the ground out to e h / (h - b) for a lens at h over a
    building of height b; a building at least as tall as the lens hides everything behind it.
    Exact for convex outlines; errs towards hiding for concave ones (a courtyard facing the
    camera).
    """
    tall = height_m >= eye_height_m
    scale = _FAR_SCALE if tall else eye_height_m / (eye_height_m - height_m)
    hull = outline.convex_hull
    roof = affinity.scale(hull, xfact=scale, yfact=scale, origin=eye)
    return shapely.union(hull, roof).convex_hull


class SiteGeometry:
    """The buildings in local metres around one origin, indexed for occlusion queries."""

    def __init__(self, origin: tuple[float, float], buildings: Sequence[Building]) -> None:
        self.origin = origin
        self.buildings = list(buildings)
        self.tree = shapely.STRtree([b.outline for b in self.buildings])

    def to_metres(self, lonlat: Sequence[tuple[float, float]] | Points) -> Points:
        return lonlat_to_metres(lonlat, self.origin)

    def to_lonlat(self, metres: Points) -> Points:
        return metres_to_lonlat(metres, self.origin)

    def geometry_to_lonlat(self, geometry: Any) -> Any:
        return shapely.transform(geometry, self.to_lonlat)

    def geometry_to_metres(self, geometry: Any) -> Any:
        return shapely.transform(geometry, self.to_metres)

    def footprint(self, view: CameraView) -> Any:
        """The view's ground footprint in site metres, minus what buildings hide."""
        (eye,) = self.to_metres([(view.lon, view.lat)])
        ex, ey = float(eye[0]), float(eye[1])
        footprint = affinity.translate(raw_footprint(view), ex, ey)
        if footprint.is_empty or not self.buildings:
            return footprint
        # Buildings between the lens and the footprint's near edge hide ground too.
        reach = shapely.union(footprint, Point(ex, ey)).convex_hull
        hidden = self.hidden((ex, ey), view.height_m, reach)
        return footprint if hidden is None else footprint.difference(hidden)

    def hidden(self, eye: tuple[float, float], eye_height_m: float, reach: Any) -> Any | None:
        """What the buildings touching `reach` hide from a lens at `eye` (site metres); None: nothing.

        Several views from one lens (the headings a planner tries) share it: one union of
        shadows instead of one per view.
        """
        camera = Point(*eye)
        shadows = []
        for index in self.tree.query(reach):
            building = self.buildings[int(index)]
            if building.outline.distance(camera) <= _MOUNT_TOLERANCE_M:
                continue
            shadows.append(shadow(building.outline, building.height_m, eye, eye_height_m))
        return shapely.union_all(shadows) if shadows else None
