"""Safety rules as the camera pipeline runs them: intervals, status-change events, ground plane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.flood.monitor import FloodMonitor
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


WATER_BGR = (40, 90, 140)  # muddy brown water


def flooded_frame(seconds: float, index: int, rows: int) -> Frame:
    """A dry grey street (200x100) whose bottom `rows` rows are under brown water."""
    image = np.full((100, 200, 3), 120, np.uint8)
    image[:, ::8] = 60  # some texture: kerb lines
    if rows:
        image[100 - rows :, :] = WATER_BGR
    return Frame(
        camera_id="cam-1",
        index=index,
        captured_at=T0 + timedelta(seconds=seconds),
        stream_time_s=seconds,
        image=image,
    )


class PaintedWater:
    """A segmenter that finds the painted water colour, plus optional false 'water' rows."""

    def __init__(self, false_rows: int = 0) -> None:
        self.false_rows = false_rows
        self.calls = 0

    def __call__(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        self.calls += 1
        mask = np.all(image == WATER_BGR, axis=2).astype(np.uint8) * 255
        if self.false_rows:
            mask[image.shape[0] - self.false_rows :, :] = 255
        return np.asarray(mask, np.uint8)


def test_flood_rule_segments_at_its_interval_and_reports_status_changes() -> None:
    config = FloodConfig(
        id="underpass",
        roi=[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)],
        alert_fraction=0.3,
        danger_fraction=0.6,
        interval_s=5.0,
    )
    water = PaintedWater()
    rule = FloodRule("cam-1", config, water)
    # Dry until t = 5, then the water line climbs 10 rows every 5 s.
    results = [
        rule.update(flooded_frame(t, t + 1, 10 * (t // 5)), Detections.empty()) for t in range(31)
    ]
    # The first segmentation waits for the dry background (t = 5), then one every 5 s.
    assert water.calls == 6
    coverage = [
        o.value for r in results for o in r.observations if o.kind is ObservationKind.FLOOD_COVERAGE
    ]
    assert coverage == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    events = [e for r in results for e in r.events]
    assert [(e.kind, e.level, e.occurred_at - T0) for e in events] == [
        (EventKind.FLOOD, "alert", timedelta(seconds=10)),
        (EventKind.FLOOD, "danger", timedelta(seconds=15)),
    ]
    assert events[0].zone_id == "underpass"
    # The ROI's box, normalised to the image (it covers the lower half, full width).
    assert events[0].region == (0.0, 0.5, 1.0, 1.0)


def test_flood_rule_drops_water_that_looks_like_the_dry_scene() -> None:
    """A segmenter that always calls the bottom rows water (say, a brown dirt road)."""
    config = FloodConfig(
        id="underpass",
        roi=[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)],
        interval_s=5.0,
    )
    rule = FloodRule("cam-1", config, PaintedWater(false_rows=40))
    results = [rule.update(flooded_frame(t, t + 1, 0), Detections.empty()) for t in range(31)]
    coverage = [
        o.value for r in results for o in r.observations if o.kind is ObservationKind.FLOOD_COVERAGE
    ]
    assert coverage == [0.0] * 6
    assert [e for r in results for e in r.events] == []
    # Without the learned background the same segmenter raises a flood at once.
    bare = FloodMonitor(PaintedWater(false_rows=40), roi=config.roi)
    assert bare.update(flooded_frame(0, 1, 0).image, T0).status == "danger"


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
    rule = FloodRule("cam-1", config, PaintedWater())
    dry = rule.update(flooded_frame(0, 1, 0), Detections.empty())
    first = rule.update(flooded_frame(1, 2, 10), Detections.empty())
    second = rule.update(flooded_frame(2, 3, 20), Detections.empty())
    assert dry.observations == []  # the first second only trains the dry background
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
