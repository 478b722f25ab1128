"""ZoneCrowdMonitor: counting, switching, density, risk levels, flow and speed on made-up frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.crowd.density import DensityResult
from cctwin.analytics.crowd.zone import CrowdReading, ZoneCrowdMonitor
from cctwin.config.safety import CrowdConfig, RiskBandConfig
from cctwin.geometry import points_in_polygon

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FRAME = np.zeros((720, 1280, 3), dtype=np.uint8)
ZONE = [(100.0, 100.0), (500.0, 100.0), (500.0, 400.0), (100.0, 400.0)]
# Pixel -> metres: 10 px per metre, so the zone is 40 m x 30 m = 1200 m2.
SCALE_H = np.diag([0.1, 0.1, 1.0])


class FakeDensity:
    """A density model whose map spreads `people` evenly, plus CSRNet's background floor."""

    def __init__(self, people: float) -> None:
        self.people = people
        self.calls: list[tuple[int, int]] = []
        self.sides: list[int] = []

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> DensityResult:
        h, w = image_bgr.shape[:2]
        self.calls.append((w, h))
        self.sides.append(max_side)
        cells = (max(1, h // 8), max(1, w // 8))
        density = np.full(cells, 0.01 + self.people / (cells[0] * cells[1]), dtype=np.float32)
        return DensityResult(float(density.sum()), density)


def boxes_at(feet: list[tuple[float, float]]) -> npt.NDArray[np.float32]:
    return np.array([[x - 10, y - 60, x + 10, y] for x, y in feet], dtype=np.float32).reshape(-1, 4)


def ids(n: int) -> npt.NDArray[np.int64]:
    return np.arange(n, dtype=np.int64)


def test_points_in_polygon_even_odd() -> None:
    polygon = np.array(ZONE)
    points = np.array([[300.0, 250.0], [50.0, 250.0], [300.0, 450.0], [499.0, 101.0]])
    assert points_in_polygon(points, polygon).tolist() == [True, False, False, True]


def test_counts_feet_inside_and_has_no_density_without_calibration() -> None:
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector")
    feet = [(200.0, 200.0), (300.0, 390.0), (600.0, 200.0), (300.0, 450.0)]
    reading = monitor.update(FRAME, T0, boxes_at(feet), ids(4))
    assert isinstance(reading, CrowdReading)
    assert reading.count == 2
    assert reading.method == "detector"
    assert reading.density_per_m2 is None
    assert reading.area_m2 is None
    assert reading.level is None
    assert reading.mean_speed_m_s is None


def test_density_from_homography_area() -> None:
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector")
    feet = [(150.0 + 10 * i, 200.0) for i in range(12)]
    reading = monitor.update(FRAME, T0, boxes_at(feet), ids(12), SCALE_H)
    assert reading is not None
    assert reading.area_m2 == pytest.approx(1200.0)
    assert reading.density_per_m2 == pytest.approx(12 / 1200.0)


def test_readings_only_every_observation_interval() -> None:
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector", observation_interval_s=5.0)
    box = boxes_at([(200.0, 200.0)])
    got = [
        monitor.update(FRAME, T0 + timedelta(seconds=s), box, ids(1)) is not None
        for s in range(0, 11)
    ]
    assert got == [True, False, False, False, False, True, False, False, False, False, True]


def test_risk_band_entered_and_left_with_hysteresis() -> None:
    # 20 x 50 px at 10 px/m = 10 m2, so ten people are 1 person/m2.
    zone = [(0.0, 0.0), (20.0, 0.0), (20.0, 50.0), (0.0, 50.0)]
    monitor = ZoneCrowdMonitor("z", zone, method="detector", observation_interval_s=1.0)
    names: list[str | None] = []
    for step, people in enumerate([20, 30, 40, 37, 30, 20]):
        feet = [(10.0, 25.0)] * people
        reading = monitor.update(
            FRAME, T0 + timedelta(seconds=step), boxes_at(feet), ids(people), SCALE_H
        )
        assert reading is not None
        change = reading.level_change
        names.append(
            None if change is None else (change.current.name if change.current else "normal")
        )
    # 3.7/m2 holds `alert` (it leaves only below 4 - 0.5); 3.0 steps down to `caution`.
    assert names == [None, "caution", "alert", None, "caution", "normal"]


def test_packed_zone_switches_to_density_on_the_zone_crop_only() -> None:
    fake = FakeDensity(people=400.0)
    monitor = ZoneCrowdMonitor("z", ZONE, density_model=fake, density_interval_s=5.0)
    # The detector separates only 10 of the 400 people.
    feet = [(150.0 + 30 * i, 300.0) for i in range(10)]
    reading = monitor.update(FRAME, T0, boxes_at(feet), ids(10), SCALE_H)
    assert reading is not None
    assert reading.method == "density"
    assert reading.detector_count == 10
    assert reading.count == pytest.approx(400.0, rel=0.2)
    assert reading.density_per_m2 == pytest.approx(reading.count / 1200.0, rel=1e-3)
    # A low-resolution screen found it packed; the full-resolution run then counted it, and
    # a run at half the crop's size confirmed it is a crowd, not a texture.
    assert fake.calls == [(400, 300), (400, 300), (400, 300)]
    assert fake.sides == [512, 1024, 200]


def test_sparse_zone_keeps_detector_count() -> None:
    fake = FakeDensity(people=8.0)
    monitor = ZoneCrowdMonitor("z", ZONE, density_model=fake)
    feet = [(150.0 + 40 * i, 300.0) for i in range(7)]
    reading = monitor.update(FRAME, T0, boxes_at(feet), ids(7))
    assert reading is not None
    assert reading.method == "detector"
    assert reading.count == 7
    # The floor-inflated raw CSRNet sum is reported for inspection, never used as the count.
    assert reading.density_count is not None
    assert reading.density_count > 8.0


def test_density_model_runs_at_most_every_interval() -> None:
    fake = FakeDensity(people=400.0)
    monitor = ZoneCrowdMonitor(
        "z", ZONE, density_model=fake, density_interval_s=3.0, observation_interval_s=1.0
    )
    box = boxes_at([(200.0, 200.0)])
    for step in range(10):
        monitor.update(FRAME, T0 + timedelta(seconds=step), box, ids(1))
    # t = 0 (screen, then full), 3, 6, 9: once packed, no more screens; each full run is
    # confirmed at half size.
    assert fake.sides == [512, 1024, 200] + [1024, 200] * 3


def test_a_sparse_zone_is_only_screened() -> None:
    fake = FakeDensity(people=3.0)
    monitor = ZoneCrowdMonitor("z", ZONE, density_model=fake, observation_interval_s=1.0)
    reading = monitor.update(FRAME, T0, boxes_at([(200.0, 200.0)] * 3), ids(3))
    assert reading is not None
    assert reading.method == "detector"
    assert reading.count == 3
    assert fake.sides == [512]


class TextureDensity(FakeDensity):
    """A texture CSRNet misreads as heads: it all but vanishes when the input is halved."""

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> DensityResult:
        full = super().count(image_bgr, roi_mask, max_side)
        if max_side >= max(image_bgr.shape[:2]):
            return full
        faded = np.minimum(full.density_map, 0.01 + 0.1 * (full.density_map - 0.01))
        return DensityResult(float(faded.sum()), faded)


def test_a_texture_that_fades_at_half_size_keeps_the_detector_count() -> None:
    fake = TextureDensity(people=400.0)
    monitor = ZoneCrowdMonitor("z", ZONE, density_model=fake, observation_interval_s=1.0)
    feet = [(150.0 + 30 * i, 300.0) for i in range(10)]
    reading = monitor.update(FRAME, T0, boxes_at(feet), ids(10))
    assert reading is not None
    assert (reading.method, reading.count) == ("detector", 10)
    assert fake.sides == [512, 1024, 200]
    # Still not density a second later, with fewer boxes and no new estimate.
    later = monitor.update(FRAME, T0 + timedelta(seconds=1), boxes_at(feet[:2]), ids(2))
    assert later is not None
    assert (later.method, later.count) == ("detector", 2)


def test_detector_method_never_runs_density() -> None:
    fake = FakeDensity(people=400.0)
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector", density_model=fake)
    reading = monitor.update(FRAME, T0, boxes_at([(200.0, 200.0)]), ids(1))
    assert reading is not None
    assert reading.method == "detector"
    assert fake.calls == []


def test_flow_in_out_and_ground_speed() -> None:
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector", observation_interval_s=4.0)
    # Track 0 walks into the zone at 1.5 m/s (15 px/s); track 1 walks out of it.
    readings = []
    for step in range(9):
        t = T0 + timedelta(seconds=0.5 * step)
        feet = [(60.0 + 7.5 * step, 250.0), (480.0 + 7.5 * step, 250.0)]
        readings.append(monitor.update(FRAME, t, boxes_at(feet), ids(2), SCALE_H))
    last = readings[-1]
    assert last is not None
    assert (last.flow_in, last.flow_out) == (1, 1)
    assert last.mean_speed_m_s == pytest.approx(0.75 / 0.5, rel=0.01)


def test_rejects_degenerate_zone() -> None:
    with pytest.raises(ValueError, match="3 points"):
        ZoneCrowdMonitor("z", [(0.0, 0.0), (1.0, 1.0)])


def test_empty_frame_counts_zero_and_untracked_boxes_still_count() -> None:
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector", observation_interval_s=1.0)
    empty = monitor.update(FRAME, T0, np.empty((0, 4), np.float32), np.empty(0, np.int64))
    assert empty is not None
    assert empty.count == 0
    untracked = np.full(2, -1, np.int64)
    later = T0 + timedelta(seconds=1)
    reading = monitor.update(FRAME, later, boxes_at([(200.0, 200.0)] * 2), untracked)
    assert reading is not None
    assert (reading.count, reading.flow_in) == (2, 0)


def test_mismatched_track_ids_are_rejected() -> None:
    monitor = ZoneCrowdMonitor("z", ZONE, method="detector")
    with pytest.raises(ValueError, match="one id per person box"):
        monitor.update(FRAME, T0, boxes_at([(200.0, 200.0)]), ids(2))


def test_from_config_takes_bands_and_intervals() -> None:
    config = CrowdConfig(
        id="plaza-crowd",
        zone="plaza",
        method="detector",
        bands=[RiskBandConfig(name="busy", persons_per_m2=0.5)],
        observation_interval_s=2.0,
    )
    monitor = ZoneCrowdMonitor.from_config(config, ZONE, area_m2=2.0)
    reading = monitor.update(FRAME, T0, boxes_at([(200.0, 200.0)] * 2), ids(2))
    assert reading is not None
    assert reading.zone_id == "plaza"
    assert reading.density_per_m2 == pytest.approx(1.0)
    assert reading.level is not None
    assert reading.level.name == "busy"
    assert monitor.update(FRAME, T0 + timedelta(seconds=1), boxes_at([]), ids(0)) is None


def test_a_packed_zone_gets_the_bundled_models_size_correction_only() -> None:
    from cctwin.analytics.crowd.hybrid import DensityScale

    feet = [(150.0 + 30 * i, 300.0) for i in range(10)]
    scale = DensityScale()
    scaled = ZoneCrowdMonitor("z", ZONE, density_model=FakeDensity(400.0), scale=scale)
    reading = scaled.update(FRAME, T0, boxes_at(feet), ids(10), SCALE_H)
    assert reading is not None
    assert reading.method == "density"
    assert reading.density_count is not None
    # The 400x300 crop gives a 37x50 map: the correction for that size, the raw sum kept.
    factor = scale.factor(37 * 50)
    assert factor > 1.3
    assert reading.count == pytest.approx(reading.density_count * factor, rel=1e-3)
    # Another model's sum is taken as it is unless a scale is given.
    plain = ZoneCrowdMonitor("z", ZONE, density_model=FakeDensity(400.0))
    other = plain.update(FRAME, T0, boxes_at(feet), ids(10), SCALE_H)
    assert other is not None
    assert other.count == pytest.approx(other.density_count or 0.0)
