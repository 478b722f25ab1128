"""Safety rules as the camera pipeline runs them: intervals, status-change events, ground plane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.flood.rule import FloodRule
from cctwin.analytics.ground import ground_area_m2, ground_homography, to_ground
from cctwin.config import CalibrationConfig, FloodConfig, GroundPointConfig
from cctwin.types import Detections, EventKind, Frame, ObservationKind

T0 = datetime(2026, 7, 14, 18, 0, tzinfo=UTC)
PETS_CALIBRATION = Path(__file__).parents[3] / ".." / "shared" / "data" / "pets2009-s2l1"


def frame(seconds: float, index: int, width: int = 200, height: int = 100) -> Frame:
    return Frame(
        camera_id="cam-1",
        index=index,
        captured_at=T0 + timedelta(seconds=seconds),
        stream_time_s=seconds,
        image=np.zeros((height, width, 3), np.uint8),
    )


class RisingWater:
    """A segmenter whose water line climbs one row per call from the image bottom."""

    def __init__(self, rows_per_call: int) -> None:
        self.rows_per_call = rows_per_call
        self.calls = 0

    def __call__(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        self.calls += 1
        mask = np.zeros(image.shape[:2], np.uint8)
        rows = min(image.shape[0], self.calls * self.rows_per_call)
        mask[image.shape[0] - rows :, :] = 255
        return mask


def test_flood_rule_segments_at_its_interval_and_reports_status_changes() -> None:
    config = FloodConfig(
        id="underpass",
        roi=[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)],
        alert_fraction=0.3,
        danger_fraction=0.6,
        interval_s=5.0,
    )
    water = RisingWater(rows_per_call=10)
    rule = FloodRule("cam-1", config, water)
    results = [rule.update(frame(t, i + 1), Detections.empty()) for i, t in enumerate(range(31))]
    # Frames every second, an interval of 5 s: seven segmentations at t = 0, 5, ..., 30.
    assert water.calls == 7
    coverage = [
        o.value for r in results for o in r.observations if o.kind is ObservationKind.FLOOD_COVERAGE
    ]
    assert coverage == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])
    events = [e for r in results for e in r.events]
    assert [(e.kind, e.level, e.occurred_at - T0) for e in events] == [
        (EventKind.FLOOD, "alert", timedelta(seconds=5)),
        (EventKind.FLOOD, "danger", timedelta(seconds=10)),
    ]
    assert events[0].zone_id == "underpass"
    assert events[0].region == (0.0, 50.0, 200.0, 100.0)


def test_flood_rule_turns_the_water_line_into_centimetres_with_marks() -> None:
    config = FloodConfig.model_validate(
        {
            "id": "underpass",
            "roi": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
            "reference_marks": [{"y": 1.0, "level_cm": 0}, {"y": 0.5, "level_cm": 100}],
            "alert_level_cm": 15,
            "danger_level_cm": 30,
            "interval_s": 1.0,
        }
    )
    rule = FloodRule("cam-1", config, RisingWater(rows_per_call=10))
    first = rule.update(frame(0, 1), Detections.empty())
    second = rule.update(frame(1, 2), Detections.empty())
    (level_1,) = [o for o in first.observations if o.kind is ObservationKind.FLOOD_LEVEL]
    (level_2,) = [o for o in second.observations if o.kind is ObservationKind.FLOOD_LEVEL]
    # The water line's top row centre at y = 0.905 then 0.805 of the height: 19 and 39 cm.
    assert level_1.value == pytest.approx(19.0, abs=0.01)
    assert level_2.value == pytest.approx(39.0, abs=0.01)
    assert [e.level for e in first.events + second.events] == ["alert", "danger"]


def test_ground_homography_from_map_points_gives_areas_in_square_metres() -> None:
    # A 40 m x 30 m rectangle on the ground seen straight down, filling the image.
    lon0, lat0 = 126.9510, 37.5440
    metres_per_degree_lat = 111_195.0
    dlat = 30 / metres_per_degree_lat
    dlon = 40 / (metres_per_degree_lat * np.cos(np.radians(lat0)))
    calibration = CalibrationConfig(
        points=[
            GroundPointConfig(image=(0.0, 0.0), lonlat=(lon0, lat0 + dlat)),
            GroundPointConfig(image=(1.0, 0.0), lonlat=(lon0 + dlon, lat0 + dlat)),
            GroundPointConfig(image=(1.0, 1.0), lonlat=(lon0 + dlon, lat0)),
            GroundPointConfig(image=(0.0, 1.0), lonlat=(lon0, lat0)),
        ]
    )
    h = ground_homography(calibration)
    assert ground_area_m2([(0, 0), (1, 0), (1, 1), (0, 1)], h) == pytest.approx(1200, rel=0.01)
    assert ground_area_m2([(0, 0), (0.5, 0), (0.5, 0.5), (0, 0.5)], h) == pytest.approx(
        300, rel=0.01
    )
    ends = to_ground(np.array([[0.0, 0.5], [1.0, 0.5]], np.float32), h)
    assert float(np.linalg.norm(ends[1] - ends[0])) == pytest.approx(40, rel=0.01)


@pytest.mark.skipif(
    not (PETS_CALIBRATION / "calibration_View_001.xml").is_file(),
    reason="../shared/data/pets2009-s2l1 is not present",
)
def test_tsai_calibration_gives_plausible_person_spacing_on_pets() -> None:
    h = ground_homography(CalibrationConfig(tsai_xml=PETS_CALIBRATION / "calibration_View_001.xml"))
    # Feet (bottom centres) of ground-truth people 9 and 19 in frame 1 (768x576), who walk
    # about 7 m apart on the campus path; a wrong axis or unit gives centimetres or kilometres.
    feet = np.array([[514.7 / 768, 232.86 / 576], [654.36 / 768, 323.0 / 576]], np.float32)
    metres = to_ground(feet, h)
    distance = float(np.linalg.norm(metres[1] - metres[0]))
    assert 4.0 < distance < 12.0
