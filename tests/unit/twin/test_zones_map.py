"""Zones on the map: map <-> image projection, visible share, unseen zones reported."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon, box

from cctwin.config import CameraConfig
from cctwin.config.service import MapZoneConfig
from cctwin.twin.footprint import Building, SiteGeometry
from cctwin.twin.zones_map import (
    footprints,
    footprints_geojson,
    ground_to_image,
    image_to_ground,
    zone_coverage,
    zones_geojson,
)

LON, LAT = 126.9516, 37.5442


def _camera(**placement: object) -> CameraConfig:
    return CameraConfig.model_validate(
        {
            "id": "down",
            "source": {"url": "x.mp4"},
            # Straight down from 10 m with 90 degrees on a square sensor: a 20 m square.
            "placement": {
                "lon": LON,
                "lat": LAT,
                "height_m": 10,
                "tilt_deg": 90,
                "fov_deg": 90,
                "resolution": [100, 100],
                "range_m": 100,
                **placement,
            },
            "analytics": {
                "zones": [{"id": "half", "polygon": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}]
            },
        }
    )


def _zone(site: SiteGeometry, metres: Polygon, zone_id: str = "z") -> MapZoneConfig:
    ring = site.geometry_to_lonlat(metres).exterior.coords[:-1]
    return MapZoneConfig(id=zone_id, polygon=[(x, y) for x, y in ring])


def test_image_zone_round_trips_through_the_ground() -> None:
    site = SiteGeometry((LON, LAT), [])
    (fp,) = footprints([_camera(tilt_deg=35, heading_deg=120)], site, 80)
    polygon = [(0.2, 0.5), (0.8, 0.55), (0.7, 0.95), (0.25, 0.9)]
    ground = image_to_ground(site, fp.view, polygon)
    assert ground.area > 1
    back = ground_to_image(site, fp.view, ground)
    assert len(back) == len(polygon)
    assert Polygon(back).symmetric_difference(Polygon(polygon)).area < 1e-4


def test_image_zone_of_a_straight_down_camera_is_half_its_square() -> None:
    site = SiteGeometry((LON, LAT), [])
    (fp,) = footprints([_camera()], site, 80)
    # Heading north: image left is west, so the left half of the image is x in [-10, 0].
    ground = image_to_ground(site, fp.view, [(0, 0), (0.5, 0), (0.5, 1), (0, 1)])
    assert ground.bounds == pytest.approx((-10, -10, 0, 10), abs=1e-3)


def test_map_zone_inside_partly_and_outside_the_footprint() -> None:
    site = SiteGeometry((LON, LAT), [])
    prints = footprints([_camera()], site, 80)
    inside = zone_coverage(_zone(site, box(-5, -5, 5, 5)), site, prints)
    assert inside.visible_share == pytest.approx(1.0, abs=1e-4)
    assert inside.warning is None
    (seen,) = inside.cameras
    assert seen.camera_id == "down"
    xs = [x for x, _ in seen.image_polygon]
    assert min(xs) == pytest.approx(0.25, abs=1e-3)
    assert max(xs) == pytest.approx(0.75, abs=1e-3)
    half = zone_coverage(_zone(site, box(0, -5, 20, 5)), site, prints)
    assert half.visible_share == pytest.approx(0.5, abs=1e-3)
    assert half.warning is not None
    assert "50%" in half.warning
    outside = zone_coverage(_zone(site, box(50, 50, 60, 60)), site, prints)
    assert outside.visible_share == 0.0
    assert outside.cameras == []
    assert outside.warning == "outside every camera footprint"


def test_walkable_area_leaves_out_the_building_and_its_shadow() -> None:
    # Lens at 10 m, roof at 0.5 m: the roof projects to the base scaled by 10 / 9.5.
    site = SiteGeometry((LON, LAT), [Building(box(6, -2, 8, 2), height_m=0.5)])
    prints = footprints([_camera()], site, 80)
    cover = zone_coverage(_zone(site, box(0, -5, 10, 5)), site, prints)
    k = 10 / 9.5
    base, roof = box(6, -2, 8, 2), box(6 * k, -2 * k, 8 * k, 2 * k)
    hidden = base.union(roof).convex_hull.area
    assert cover.visible_walkable_m2 == pytest.approx(100 - hidden, rel=1e-4)
    assert cover.visible_share == pytest.approx((100 - hidden) / 100, rel=1e-4)


def test_geojson_has_footprints_image_zones_and_zone_warnings() -> None:
    site = SiteGeometry((LON, LAT), [])
    cameras = [_camera()]
    prints = footprints(cameras, site, 80)
    collection = footprints_geojson(site, prints, cameras, {"down": "online"})
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds == ["footprint", "image_zone"]
    assert collection["features"][0]["properties"]["area_m2"] == pytest.approx(400, rel=1e-3)
    # The image zone is the left half of the image: half of the 20 m square.
    assert collection["features"][1]["properties"]["visible_walkable_m2"] == pytest.approx(
        200, rel=1e-3
    )
    zone = _zone(site, box(50, 50, 60, 60), "far")
    zones = zones_geojson(site, [zone_coverage(zone, site, prints)], [zone])
    assert zones["features"][0]["properties"]["warning"] == "outside every camera footprint"
