"""Tracked objects on the map: their ground anchors, projected to lon/lat when geo-calibrated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cctwin.config import CalibrationConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import Homography, apply_homography, homography_from_lonlat
from cctwin.geometry.earth import metres_to_lonlat
from cctwin.messages import ObjectPositions, TrackedObject
from cctwin.types import Detections, Frame


@dataclass(frozen=True)
class LonLatMapping:
    """Normalised image -> (lon, lat): the calibration's ground homography (metres around the
    points' mean) and the one Earth model back to degrees."""

    to_ground: Homography
    origin: tuple[float, float]

    def __call__(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return metres_to_lonlat(apply_homography(self.to_ground, points), self.origin)


def lonlat_mapping(calibration: CalibrationConfig | None) -> LonLatMapping | None:
    """The camera's image -> map mapping from its calibration's map points; None without them."""
    if calibration is None or len(calibration.points) < 4:
        return None
    image = [p.image for p in calibration.points]
    lonlat = [p.lonlat for p in calibration.points]
    origin = np.asarray(lonlat, dtype=np.float64).mean(axis=0)
    return LonLatMapping(homography_from_lonlat(image, lonlat), (origin[0], origin[1]))


class PositionReporter:
    """One camera's tracked objects as an ObjectPositions fact per analysed frame."""

    def __init__(self, camera_id: str, calibration: CalibrationConfig | None) -> None:
        self.camera_id = camera_id
        self.to_lonlat = lonlat_mapping(calibration)

    def positions(self, frame: Frame, tracks: Detections) -> ObjectPositions:
        size = np.array([max(frame.width, 1), max(frame.height, 1)], dtype=np.float64)
        anchors = np.clip(tracks.anchors().astype(np.float64) / size, 0.0, 1.0)
        lonlat = self.to_lonlat(anchors) if self.to_lonlat is not None else None
        objects = []
        for row, (x, y) in enumerate(anchors):
            lon, lat = (None, None) if lonlat is None else map(float, lonlat[row])
            objects.append(
                TrackedObject(
                    track_id=int(tracks.track_id[row]),
                    class_name=COCO_LABELS[int(tracks.class_id[row])],
                    x=float(x),
                    y=float(y),
                    lon=lon,
                    lat=lat,
                )
            )
        return ObjectPositions(
            camera_id=self.camera_id, captured_at=frame.captured_at, objects=objects
        )
