"""Calibration, zone area and risk-level hysteresis tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cctwin.analytics.crowd.calibration import RiskLevelTracker, density_per_m2, load_tsai_xml
from cctwin.geometry import apply_homography, fit_homography, ground_area_m2, homography_from_lonlat

PETS_XML = (
    Path(__file__).resolve().parents[4] / "shared/data/pets2009-s2l1/calibration_View_001.xml"
)


def test_homography_round_trip() -> None:
    h_true = np.array([[0.02, 0.001, -3.0], [0.0005, 0.05, -10.0], [0.0001, 0.002, 1.0]])
    px = [(10.0, 20.0), (600.0, 30.0), (620.0, 400.0), (15.0, 420.0), (300.0, 200.0)]
    ground = apply_homography(h_true, px)
    h = fit_homography(px, [tuple(p) for p in ground])
    np.testing.assert_allclose(apply_homography(h, px), ground, atol=1e-6)
    back = apply_homography(np.linalg.inv(h).astype(np.float64), ground)
    np.testing.assert_allclose(back, np.asarray(px), atol=1e-4)


def test_area_of_known_square() -> None:
    px = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]
    metres = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
    h = fit_homography(px, metres)
    assert ground_area_m2(px, h) == pytest.approx(4.0)
    assert density_per_m2(12.0, 4.0) == pytest.approx(3.0)


def test_lonlat_square() -> None:
    px = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]
    dlat = 10.0 / 6_378_137.0 * 180.0 / np.pi
    dlon = dlat / np.cos(np.radians(37.5))
    lonlat = [
        (127.0, 37.5 + dlat),
        (127.0 + dlon, 37.5 + dlat),
        (127.0 + dlon, 37.5),
        (127.0, 37.5),
    ]
    h = homography_from_lonlat(px, lonlat)
    # The square is laid out on a sphere of the equatorial radius; the ellipsoid (WGS84,
    # pyproj) is 0.3 % shorter north-south and 0.1 % wider east-west at 37.5 N, so 0.2 % less.
    assert ground_area_m2(px, h) == pytest.approx(100.0, rel=5e-3)


@pytest.mark.skipif(not PETS_XML.exists(), reason="../shared/data/pets2009-s2l1 is not present")
def test_tsai_projection_is_consistent() -> None:
    cam = load_tsai_xml(PETS_XML)
    origin = cam.ground_to_image(np.array([[0.0, 0.0]]))[0]
    assert 0 <= origin[0] < cam.width
    assert 0 <= origin[1] < cam.height
    h = cam.image_to_ground_homography()
    pts = np.array([[0.0, 0.0], [2.0, 1.0], [-3.0, 4.0]])
    px = cam.ground_to_image(pts)
    # The fitted homography ignores lens distortion, so allow a few centimetres.
    np.testing.assert_allclose(apply_homography(h, px), pts, atol=0.3)


@pytest.mark.parametrize(
    ("densities", "levels"),
    [
        ([1.0, 3.0, 2.6, 2.4, 2.6], ["normal", "caution", "caution", "normal", "normal"]),
        (
            [4.2, 3.7, 3.4, 5.0, 4.6, 4.4],
            ["alert", "alert", "caution", "severe", "severe", "alert"],
        ),
        ([6.0, 0.0], ["severe", "normal"]),
    ],
)
def test_risk_hysteresis(densities: list[float], levels: list[str]) -> None:
    tracker = RiskLevelTracker()
    seen = []
    for d in densities:
        tracker.update(d)
        seen.append(tracker.level.name if tracker.level else "normal")
    assert seen == levels


def test_update_reports_changes_only() -> None:
    tracker = RiskLevelTracker()
    change = tracker.update(3.1)
    assert change is not None
    assert change.current is not None
    assert change.current.name_ko == "주의"
    assert tracker.update(3.2) is None
