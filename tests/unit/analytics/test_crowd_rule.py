"""A crowd zone in the camera pipeline: counts, density on the ground, risk events, model cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.crowd.density import DensityResult
from cctwin.analytics.crowd.rule import CrowdRule
from cctwin.analytics.ground import ground_homography
from cctwin.config import CalibrationConfig, CrowdConfig, GroundPointConfig, ZoneConfig
from cctwin.types import Detections, EventKind, Frame, ObservationKind

T0 = datetime(2026, 10, 29, 22, 0, tzinfo=UTC)
WIDTH, HEIGHT = 400, 300


def calibration_40_by_30_m() -> CalibrationConfig:
    """The image seen straight down, 40 m wide and 30 m deep."""
    lon0, lat0 = 126.9510, 37.5440
    dlat = 30 / 111_195.0
    dlon = 40 / (111_195.0 * np.cos(np.radians(lat0)))
    corners = [((0.0, 0.0), (lon0, lat0 + dlat)), ((1.0, 0.0), (lon0 + dlon, lat0 + dlat)),
               ((1.0, 1.0), (lon0 + dlon, lat0)), ((0.0, 1.0), (lon0, lat0))]  # fmt: skip
    return CalibrationConfig(points=[GroundPointConfig(image=i, lonlat=g) for i, g in corners])


def frame(seconds: float, index: int) -> Frame:
    return Frame(
        camera_id="cam-1",
        index=index,
        captured_at=T0 + timedelta(seconds=seconds),
        stream_time_s=seconds,
        image=np.zeros((HEIGHT, WIDTH, 3), np.uint8),
    )


def people(n: int, x0: float, y0: float, step: float) -> Detections:
    """n person boxes whose feet stand on a row starting at (x0, y0) pixels."""
    xs = x0 + step * np.arange(n, dtype=np.float32)
    xyxy = np.stack([xs - 2, np.full(n, y0 - 10), xs + 2, np.full(n, y0)], axis=1)
    return Detections(
        xyxy=xyxy.astype(np.float32),
        confidence=np.full(n, 0.9, np.float32),
        class_id=np.zeros(n, np.int32),
        track_id=np.arange(1, n + 1, dtype=np.int64),
    )


# A 4 m x 2 m patch (40 x 20 px at 10 px per metre): 8 square metres.
PATCH = ZoneConfig(id="patch", polygon=[(0.5, 0.5), (0.6, 0.5), (0.6, 0.5667), (0.5, 0.5667)])


def test_density_on_the_ground_raises_crowd_risk_when_a_band_is_entered() -> None:
    config = CrowdConfig(id="patch-crowd", zone="patch", method="detector",
                         observation_interval_s=1.0)  # fmt: skip
    rule = CrowdRule("cam-1", config, PATCH, ground_homography(calibration_40_by_30_m()), None)
    assert rule.area_m2 == pytest.approx(8.0, rel=0.02)
    quiet = rule.update(frame(0, 1), people(4, 202, 160, 2))
    crowded = rule.update(frame(1, 2), people(26, 201, 162, 1.4))
    density = {o.kind: o for o in quiet.observations}
    assert density[ObservationKind.CROWD_COUNT].value == 4
    assert density[ObservationKind.CROWD_DENSITY].value == pytest.approx(0.5, rel=0.03)
    assert density[ObservationKind.CROWD_COUNT].method == "detector"
    assert quiet.events == []
    (event,) = crowded.events
    assert event.kind is EventKind.CROWD_RISK
    assert event.level == "caution"
    assert event.value == pytest.approx(26 / 8, rel=0.03)
    assert event.zone_id == "patch"


def test_without_calibration_a_count_is_not_a_density() -> None:
    config = CrowdConfig(id="patch-crowd", zone="patch", method="detector")
    rule = CrowdRule("cam-1", config, PATCH, None, None)
    result = rule.update(frame(0, 1), people(26, 201, 162, 1.4))
    assert [o.kind for o in result.observations] == [ObservationKind.CROWD_COUNT]
    assert result.events == []


class CountingDensityModel:
    """Stands in for CSRNet: a uniform density map, and how often it was asked."""

    def __init__(self, per_cell: float) -> None:
        self.per_cell = per_cell
        self.calls = 0

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> DensityResult:
        self.calls += 1
        cells = np.full((image_bgr.shape[0] // 8, image_bgr.shape[1] // 8), self.per_cell)
        return DensityResult(float(cells.sum()), cells.astype(np.float32))


WIDE = ZoneConfig(id="wide", polygon=[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])


@pytest.mark.parametrize(("per_cell", "expected_calls"), [(0.01, 3), (0.2, 27)])
def test_the_density_model_runs_rarely_on_a_sparse_zone(
    per_cell: float, expected_calls: int
) -> None:
    model = CountingDensityModel(per_cell)
    config = CrowdConfig(id="wide-crowd", zone="wide", density_interval_s=5.0)
    rule = CrowdRule("cam-1", config, WIDE, None, model)
    for second in range(61):
        rule.update(frame(second, second + 1), people(3, 50, 200, 30))
    # Sparse (the floor only): low-resolution screens at 0, 30 and 60 s. Packed: the screen
    # at 0 s, then a full-resolution estimate every 5 s from 0 to 60, each confirmed by a run
    # at half size (1 + 13 x 2).
    assert model.calls == expected_calls
