"""Camera footprints: hand-computed geometry, range cap, occlusion by buildings, calibration."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Point, box

from cctwin.config import CameraConfig
from cctwin.config.camera import PlacementConfig
from cctwin.geometry import apply_homography
from cctwin.twin.footprint import (
    Building,
    CameraView,
    SiteGeometry,
    camera_view,
    mounting_homography,
    raw_footprint,
)

LON, LAT = 126.9516, 37.5442


def view(**placement: float) -> CameraView:
    p = PlacementConfig(lon=LON, lat=LAT, **placement)  # type: ignore[arg-type]
    return CameraView("cam", LON, LAT, p.height_m, p.range_m, mounting_homography(p), "mounting")


def test_straight_down_sees_a_square_of_side_2h_tan_half_fov() -> None:
    # 90 degrees FOV on a square sensor from 10 m: a 20 m x 20 m square centred below.
    footprint = raw_footprint(
        view(height_m=10, tilt_deg=90, fov_deg=90, resolution=(100, 100), range_m=100)
    )
    assert footprint.area == pytest.approx(400.0, rel=1e-6)
    assert footprint.bounds == pytest.approx((-10, -10, 10, 10), abs=1e-6)


def test_tilted_camera_near_and_far_edges_match_the_ray_angles() -> None:
    h, tilt, fov = 6.0, 30.0, 60.0
    half_v = math.degrees(math.atan(math.tan(math.radians(fov / 2)) * 9 / 16))
    near = h / math.tan(math.radians(tilt + half_v))
    far = h / math.tan(math.radians(tilt - half_v))
    footprint = raw_footprint(
        view(height_m=h, tilt_deg=tilt, fov_deg=fov, resolution=(1920, 1080), range_m=1000)
    )
    _, y_min, _, y_max = footprint.bounds
    assert y_min == pytest.approx(near, rel=1e-6)
    assert y_max == pytest.approx(far, rel=1e-6)
    # The near edge's width: its depth along the optical axis times 2 tan(fov / 2).
    slant = math.hypot(h, near) * math.cos(math.radians(half_v))
    near_edge = footprint.intersection(box(-100, near - 1e-6, 100, near + 1e-6))
    assert near_edge.bounds[2] - near_edge.bounds[0] == pytest.approx(
        2 * slant * math.tan(math.radians(fov / 2)), rel=1e-4
    )


def test_heading_turns_the_footprint_clockwise_from_north() -> None:
    east = raw_footprint(view(heading_deg=90, tilt_deg=40, range_m=50))
    assert east.centroid.x > 5
    assert abs(east.centroid.y) < 1e-6


def test_range_caps_a_footprint_that_reaches_the_horizon() -> None:
    # The top of the image looks above the horizon: the footprint stops at the range.
    footprint = raw_footprint(view(tilt_deg=10, fov_deg=60, range_m=40))
    assert not footprint.is_empty
    assert Point(0, 0).buffer(40.01).contains(footprint)
    assert footprint.bounds[3] == pytest.approx(40.0, rel=1e-3)


def _site(*buildings: Building) -> SiteGeometry:
    return SiteGeometry((LON, LAT), list(buildings))


def test_a_tall_building_hides_everything_behind_it() -> None:
    v = view(height_m=6, tilt_deg=20, fov_deg=70, range_m=40)
    site = _site(Building(box(-2, 10, 2, 14), height_m=20))
    raw, seen = raw_footprint(v), site.footprint(v)
    assert raw.contains(Point(0, 25))
    assert not seen.contains(Point(0, 25))
    assert not seen.contains(Point(0, 39))
    assert seen.contains(Point(-12, 25))  # beside the building's shadow
    assert seen.area < raw.area


def test_a_low_building_hides_only_its_short_shadow() -> None:
    # Lens at 6 m, roof at 3 m: the roof edge at 14 m hides the ground out to 28 m.
    v = view(height_m=6, tilt_deg=20, fov_deg=70, range_m=40)
    site = _site(Building(box(-2, 10, 2, 14), height_m=3))
    seen = site.footprint(v)
    assert not seen.contains(Point(0, 25))
    assert seen.contains(Point(0, 30))


def test_the_building_a_camera_is_mounted_on_does_not_hide_the_street() -> None:
    v = view(height_m=6, tilt_deg=30, fov_deg=70, range_m=40)
    site = _site(Building(box(-5, -5, 5, 0), height_m=20))  # the camera is on its north wall
    assert site.footprint(v).area == pytest.approx(raw_footprint(v).area)


def test_calibration_points_give_the_footprint_homography() -> None:
    points = [
        {"image": [0.30, 0.40], "lonlat": [126.9523736, 37.5436664]},
        {"image": [0.95, 0.40], "lonlat": [126.9523964, 37.5437742]},
        {"image": [0.95, 0.95], "lonlat": [126.9525595, 37.5437359]},
        {"image": [0.30, 0.95], "lonlat": [126.9525553, 37.5436824]},
    ]
    camera = CameraConfig.model_validate(
        {
            "id": "exit5",
            "source": {"url": "x.mp4"},
            "placement": {"lon": 126.9527, "lat": 37.5437, "heading_deg": 270},
            "analytics": {"calibration": {"points": points}},
        }
    )
    v = camera_view(camera, max_range_m=80)
    assert v is not None
    assert v.source == "calibration"
    site = SiteGeometry((126.9527, 37.5437), [])
    ground = apply_homography(v.homography, [(0.95, 0.95)])
    assert site.to_lonlat(ground)[0] == pytest.approx((126.9525595, 37.5437359), abs=1e-7)
    assert not raw_footprint(v).is_empty


def test_collinear_calibration_falls_back_to_the_mounting_geometry() -> None:
    points = [
        {"image": [0.1 * i, 0.5], "lonlat": [126.9520 + 0.0001 * i, 37.5437]} for i in range(4)
    ]
    camera = CameraConfig.model_validate(
        {
            "id": "flat",
            "source": {"url": "x.mp4"},
            "placement": {"lon": 126.9527, "lat": 37.5437, "heading_deg": 270},
            "analytics": {"calibration": {"points": points}},
        }
    )
    v = camera_view(camera, max_range_m=80)
    assert v is not None
    assert v.source == "mounting"
    assert raw_footprint(v).area > 10
