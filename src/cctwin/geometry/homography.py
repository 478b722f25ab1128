"""Image <-> ground homographies: fitted by OpenCV, applied, and used for ground areas."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
import shapely  # type: ignore[import-untyped]

from cctwin.geometry.earth import lonlat_to_metres

Homography = npt.NDArray[np.float64]
Float64Array = npt.NDArray[np.float64]


def fit_homography(
    src: npt.ArrayLike, dst: npt.ArrayLike, ransac_threshold: float | None = None
) -> Homography:
    """The 3x3 homography mapping src points to dst points (>= 4 pairs), H[2, 2] = 1.

    Least squares over all pairs (OpenCV's normalised DLT refined by Levenberg-Marquardt);
    with `ransac_threshold` (in dst units) pairs farther than that from the fit are outliers
    and left out, so one mistyped calibration point does not bend the whole ground plane.
    """
    a = np.asarray(src, dtype=np.float64)
    b = np.asarray(dst, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 2 or len(a) < 4:
        raise ValueError("need at least 4 matching (x, y) point pairs")
    if ransac_threshold is None:
        h, _ = cv2.findHomography(a, b, 0)
    else:
        h, _ = cv2.findHomography(a, b, cv2.RANSAC, ransac_threshold)
    if h is None or h.shape != (3, 3) or not np.isfinite(h).all() or h[2, 2] == 0:
        raise ValueError("the point pairs do not determine a homography (collinear points?)")
    out: Homography = np.asarray(h / h[2, 2], dtype=np.float64)
    return out


def apply_homography(h: npt.ArrayLike, points: npt.ArrayLike) -> Float64Array:
    """Map (n, 2) points through homography h."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    q = np.c_[p, np.ones(len(p))] @ np.asarray(h, dtype=np.float64).T
    out: Float64Array = q[:, :2] / q[:, 2:3]
    return out


def pixel_homography(normalised: Homography, width: int, height: int) -> Homography:
    """A homography taking normalised image points (0..1) re-based on pixels of one size."""
    to_normalised = np.diag([1.0 / width, 1.0 / height, 1.0])
    out: Homography = normalised @ to_normalised
    return out


def normalised_homography(pixel: Homography, width: int, height: int) -> Homography:
    """A homography taking pixels of a `width` x `height` image re-based on 0..1 points."""
    h = pixel @ np.diag([float(width), float(height), 1.0])
    out: Homography = np.asarray(h / h[2, 2], dtype=np.float64)
    return out


def homography_from_lonlat(
    image_points: Sequence[tuple[float, float]], lonlat: Sequence[tuple[float, float]]
) -> Homography:
    """Image -> local metres homography from image <-> (lon, lat) pairs.

    The metres are east and north of the pairs' mean lon/lat (see `lonlat_to_metres`).
    """
    ground = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    origin = (float(ground[:, 0].mean()), float(ground[:, 1].mean()))
    return fit_homography(image_points, lonlat_to_metres(ground, origin))


def polygon_area(points: npt.ArrayLike) -> float:
    """Area of a planar (n, 2) polygon, in the square of its units."""
    vertices = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(vertices) < 3:
        return 0.0
    return float(shapely.area(shapely.Polygon(vertices)))


def ground_area_m2(polygon: npt.ArrayLike, homography: Homography) -> float:
    """Ground area in m2 of an image polygon, given an image -> metres homography.

    Pixels or normalised points, whichever the homography takes.
    """
    return polygon_area(apply_homography(homography, polygon))
