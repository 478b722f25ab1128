"""Tracked objects on the map: ground anchors through the camera's geo-calibration."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from cctwin.analytics.positions import PositionReporter
from cctwin.config import CalibrationConfig
from cctwin.types import Detections, Frame

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
# The image's corners on the map: a north-up rectangle 0.001 deg wide, 0.0005 deg tall.
CORNERS = [
    ((0.0, 0.0), (126.9500, 37.5450)),
    ((1.0, 0.0), (126.9510, 37.5450)),
    ((1.0, 1.0), (126.9510, 37.5445)),
    ((0.0, 1.0), (126.9500, 37.5445)),
]


def frame() -> Frame:
    return Frame("cam", 1, AT, 0.0, np.zeros((100, 200, 3), np.uint8))


def tracks() -> Detections:
    return Detections(
        xyxy=np.array([[90, 20, 110, 50], [0, 60, 20, 100]], np.float32),
        confidence=np.array([0.9, 0.8], np.float32),
        class_id=np.array([0, 2], np.int32),
        track_id=np.array([4, 9], np.int64),
    )


def test_anchors_land_where_the_calibration_puts_them() -> None:
    calibration = CalibrationConfig.model_validate(
        {"points": [{"image": image, "lonlat": lonlat} for image, lonlat in CORNERS]}
    )
    positions = PositionReporter("cam", calibration).positions(frame(), tracks())
    first, second = positions.objects
    # Bottom centre (100, 50) of 200 x 100 is (0.5, 0.5): the middle of the rectangle.
    assert (first.track_id, first.class_name, first.x, first.y) == (4, "person", 0.5, 0.5)
    assert first.lon == pytest.approx(126.9505, abs=1e-9)
    assert first.lat == pytest.approx(37.54475, abs=1e-9)
    assert (second.class_name, second.x, second.y) == ("car", 0.05, 1.0)
    assert second.lat == pytest.approx(37.5445, abs=1e-9)


def test_without_geo_calibration_only_image_positions_travel() -> None:
    positions = PositionReporter("cam", None).positions(frame(), tracks())
    assert [(o.lon, o.lat) for o in positions.objects] == [(None, None), (None, None)]
    assert positions.objects[0].x == 0.5
