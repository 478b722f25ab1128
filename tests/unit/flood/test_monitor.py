"""FloodMonitor on synthetic masks: coverage, level, hysteresis, FloodMonitoring mapping."""

from datetime import UTC, datetime

import numpy as np
import pytest

from cctwin.analytics.flood.monitor import FloodMonitor, to_flood_monitoring

AT = datetime(2026, 7, 1, tzinfo=UTC)
FULL = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]


def _water_below(y: float, h: int = 100, w: int = 100) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[int(y * h) :, :] = 255
    return m


def _monitor(**kw: object) -> FloodMonitor:
    return FloodMonitor(lambda img: img[..., 0], FULL, **kw)  # type: ignore[arg-type]


def test_covered_fraction_inside_roi_only() -> None:
    mon = FloodMonitor(lambda img: img, [(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)])
    r = mon.update_mask(_water_below(0.75), AT)
    assert r.covered_fraction == pytest.approx(0.5, abs=0.03)
    assert r.current_level_cm is None


def test_level_interpolates_reference_marks() -> None:
    mon = _monitor(reference_marks=[(0.9, 0.0), (0.5, 100.0)])
    r = mon.update_mask(_water_below(0.7), AT)
    assert r.current_level_cm == pytest.approx(50.0, abs=2.0)
    assert mon.update_mask(np.zeros((100, 100), np.uint8), AT).current_level_cm is None


def test_status_hysteresis_on_level() -> None:
    mon = _monitor(
        reference_marks=[(1.0, 0.0), (0.0, 100.0)],
        alert_level_cm=30,
        danger_level_cm=60,
        hysteresis_cm=5,
    )
    seq = [0.8, 0.65, 0.35, 0.33, 0.38, 0.67, 0.72, 0.9]  # levels ~20,35,65,67,62,33,28,10
    got = [mon.update_mask(_water_below(y), AT).status for y in seq]
    assert got == ["normal", "alert", "danger", "danger", "danger", "alert", "alert", "normal"]


def test_status_from_fraction_without_marks() -> None:
    mon = _monitor(alert_fraction=0.3, danger_fraction=0.6, hysteresis_fraction=0.05)
    got = [
        mon.update_mask(_water_below(1 - f), AT).status for f in (0.1, 0.35, 0.28, 0.2, 0.7, 0.57)
    ]
    assert got == ["normal", "alert", "alert", "normal", "danger", "danger"]


def test_flood_monitoring_mapping() -> None:
    mon = _monitor(
        reference_marks=[(1.0, 0.0), (0.0, 100.0)], alert_level_cm=30, danger_level_cm=60
    )
    e = to_flood_monitoring(
        mon.update_mask(_water_below(0.5), AT), "urn:ngsi-ld:FloodMonitoring:cam1"
    )
    assert e["type"] == "FloodMonitoring"
    assert e["currentLevel"] == pytest.approx(0.5, abs=0.02)
    assert e["alertLevel"] == pytest.approx(0.3)
    assert e["dangerLevel"] == pytest.approx(0.6)
    assert e["floodLevelStatus"] == "alert"
    assert e["dateObserved"] == AT.isoformat()
