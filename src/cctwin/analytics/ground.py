"""A camera's ground plane from its config: normalised image points -> metres on the ground."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cctwin.analytics.crowd.calibration import (
    apply_homography,
    homography_from_lonlat,
    load_tsai_xml,
    polygon_area,
)
from cctwin.config import CalibrationConfig

Homography = npt.NDArray[np.float64]


def ground_homography(calibration: CalibrationConfig) -> Homography:
    """Homography from normalised image coordinates (0..1) to ground metres.

    Normalised, like zone polygons, so it holds whatever size the frames are analysed at.
    """
    if calibration.tsai_xml is not None:
        camera = load_tsai_xml(calibration.tsai_xml)
        to_pixels = np.diag([float(camera.width), float(camera.height), 1.0])
        h: Homography = camera.image_to_ground_homography() @ to_pixels
        normalised: Homography = np.asarray(h / h[2, 2], dtype=np.float64)
        return normalised
    image = [p.image for p in calibration.points]
    lonlat = [p.lonlat for p in calibration.points]
    fitted: Homography = homography_from_lonlat(image, lonlat)
    return fitted


def ground_area_m2(polygon: list[tuple[float, float]], homography: Homography) -> float:
    """Area on the ground of a normalised image polygon."""
    return polygon_area(apply_homography(homography, polygon))


def to_ground(points: npt.NDArray[np.float32], homography: Homography) -> Homography:
    """(N, 2) normalised image points to (N, 2) ground metres."""
    return apply_homography(homography, np.asarray(points, dtype=np.float64))
