"""Coverage on a generated site: half a park seen is 0.5 of it, blind spots, unplaced, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cctwin.config import Config, load_config
from cctwin.planning.coverage import measure


def test_camera_that_sees_half_the_park_covers_half_of_it(config: Config) -> None:
    report = measure(config).report
    parks = report.by_class["parks"]
    assert parks.area_m2 == pytest.approx(400, rel=1e-3)
    assert parks.fraction == pytest.approx(0.5, abs=2e-3)
    # Nothing else is in view: roads and trails are 40 and 60 m away.
    assert report.by_class["roads"].covered_m2 == 0
    assert report.by_class["trails"].covered_m2 == 0
    # Weighted: 2 x 200 m2 seen over 1 x road + 2 x (park + trail).
    by = report.by_class
    total = by["roads"].area_m2 + 2 * by["parks"].area_m2 + 2 * by["trails"].area_m2
    assert report.covered_fraction == pytest.approx(400 / total, abs=1e-3)


def test_road_surface_is_the_tagged_width_and_buildings_are_not_walkable(config: Config) -> None:
    coverage = measure(config)
    road = coverage.surfaces.by_class["roads"]
    # 200 m x 8 m plus the round caps (a 4 m half-disc at each end).
    assert road.area == pytest.approx(200 * 8 + 3.1214 * 16, rel=5e-3)
    assert coverage.surfaces.by_class["trails"].area == pytest.approx(200 * 2 + 3.06, rel=5e-3)


def test_blind_spots_are_the_unseen_pieces_largest_first(config: Config) -> None:
    spots = measure(config).report.blind_spots
    assert spots["type"] == "FeatureCollection"
    props = [f["properties"] for f in spots["features"]]
    assert [p["class"] for p in props] == ["roads", "trails", "parks"]
    assert props[2]["area_m2"] == pytest.approx(200, rel=5e-3)
    areas = [p["area_m2"] for p in props]
    assert areas == sorted(areas, reverse=True)
    lon, lat = spots["features"][2]["geometry"]["coordinates"][0][0]
    assert 126.95 < lon < 126.96
    assert 37.54 < lat < 37.55


def test_slivers_under_the_minimum_are_not_blind_spots(make_site: Any) -> None:
    config = load_config(make_site(planning={"min_blind_spot_m2": 300}))
    classes = [f["properties"]["class"] for f in measure(config).report.blind_spots["features"]]
    assert classes == ["roads", "trails"]


def test_unplaced_camera_is_listed_not_ignored(config: Config) -> None:
    report = measure(config).report
    assert report.not_placed == ["unplaced"]
    rows = {r.camera_id: r for r in report.cameras}
    assert rows["unplaced"].status == "not placed"
    assert rows["down"].status == "placed"
    assert rows["down"].unique_weighted_m2 == pytest.approx(400, rel=5e-3)


def test_offline_camera_is_listed_and_does_not_count(config: Config) -> None:
    report = measure(config, {"down": "offline"}).report
    assert report.offline == ["down"]
    assert report.by_class["parks"].covered_m2 == 0
    assert {r.camera_id: r.status for r in report.cameras}["down"] == "offline"


def test_overlapping_cameras_share_coverage(make_site: Any, site_file: Path) -> None:
    down = load_config(site_file).cameras[0].model_dump(mode="json")
    twin = {**down, "id": "twin"}
    config = load_config(make_site(cameras=[down, twin]))
    rows = {r.camera_id: r for r in measure(config).report.cameras}
    assert rows["down"].weighted_m2 == pytest.approx(400, rel=5e-3)
    assert rows["down"].unique_weighted_m2 == 0
