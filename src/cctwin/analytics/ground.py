"""A camera's ground plane from its config: normalised image points -> metres on the ground."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cctwin.analytics.crowd.calibration import load_tsai_xml
from cctwin.config import CalibrationConfig
from cctwin.geometry import (
    Homography,
    apply_homography,
    ground_area_m2,
    homography_from_lonlat,
    normalised_homography,
)

__all__ = ["Homography", "ground_area_m2", "ground_homography", "to_ground"]


def ground_homography(calibration: CalibrationConfig) -> Homography:
    """Homography from normalised image coordinates (0..1) to ground metres.

    Normalised, like zone polygons, so it holds whatever size the frames are analysed at.
    """
    if calibration.tsai_xml is not None:
        camera = load_tsai_xml(calibration.tsai_xml)
        pixel = camera.image_to_ground_homography()
        return normalised_homography(pixel, camera.width, camera.height)
    image = [p.image for p in calibration.points]
    lonlat = [p.lonlat for p in calibration.points]
    return homography_from_lonlat(image, lonlat)


def to_ground(points: npt.NDArray[np.float32], homography: Homography) -> Homography:
    """(N, 2) normalised image points to (N, 2) ground metres."""
    return apply_homography(homography, points)
