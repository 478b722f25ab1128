"""Tracked objects on the map: their ground anchors, projected to lon/lat when geo-calibrated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cctwin.config import CalibrationConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import Homography, apply_homography, fit_homography
from cctwin.messages import ObjectPositions, TrackedObject
from cctwin.types import Detections, Frame


@dataclass(frozen=True)
class LonLatMapping:
    """Normalised image -> (lon, lat): a homography to degrees relative to `origin`.

    Over the few hundred metres a camera sees, lon/lat is an affine image of local metres, so
    a homography to degrees is as exact as one through metres; fitted to offsets from the
    points' mean, because 126.95 and 0.0005 in one least-squares system lose 0.3 m.
    """

    homography: Homography
    origin: tuple[float, float]

    def __call__(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        mapped = apply_homography(self.homography, points) + np.asarray(self.origin)
        return np.asarray(mapped, dtype=np.float64)


def lonlat_mapping(calibration: CalibrationConfig | None) -> LonLatMapping | None:
    """The camera's image -> map mapping from its calibration's map points; None without them."""
    if calibration is None or len(calibration.points) < 4:
        return None
    image = np.asarray([p.image for p in calibration.points], dtype=np.float64)
    lonlat = np.asarray([p.lonlat for p in calibration.points], dtype=np.float64)
    origin = lonlat.mean(axis=0)
    homography = fit_homography(image, lonlat - origin)
    return LonLatMapping(homography, (float(origin[0]), float(origin[1])))


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
