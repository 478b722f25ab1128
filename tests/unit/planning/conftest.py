"""A small generated site with known geometry: a 20 x 20 m park, a road, a trail, a building."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import LineString, box, mapping

from cctwin.config import Config, load_config
from cctwin.geometry.earth import metres_to_lonlat

LON, LAT = 126.9516, 37.5442
ORIGIN = (LON, LAT)


def lonlat(geometry: Any) -> Any:
    import shapely

    return shapely.transform(geometry, lambda xy: metres_to_lonlat(xy, ORIGIN))


def _layer(path: Path, features: list[tuple[Any, dict[str, str]]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": props, "geometry": mapping(lonlat(g))}
                    for g, props in features
                ],
            }
        )
    )
    return path


# Straight down from 10 m with 90 degrees on a square sensor: a 20 m square around the lens.
DOWN = {
    "lon": LON,
    "lat": LAT,
    "height_m": 10,
    "tilt_deg": 90,
    "fov_deg": 90,
    "resolution": [1000, 1000],
    "range_m": 100,
}


def site_config(tmp_path: Path) -> dict[str, Any]:
    """Park x -20..0, y -10..10 m (the camera at 0, 0 sees its east half); road y = 40 (8 m
    wide); trail y = -60 (2 m); a 20 m building at x 30..40."""
    parks = _layer(tmp_path / "parks.geojson", [(box(-20, -10, 0, 10), {"name": "park"})])
    roads = _layer(
        tmp_path / "roads.geojson",
        [(LineString([(-100, 40), (100, 40)]), {"highway": "secondary", "width": "8"})],
    )
    trails = _layer(tmp_path / "trails.geojson", [(LineString([(-100, -60), (100, -60)]), {})])
    buildings = _layer(tmp_path / "buildings.geojson", [(box(30, -5, 40, 5), {"height": "20"})])
    return {
        "version": 1,
        "site": {
            "center": [LON, LAT],
            "layers": [
                {"id": "parks", "path": str(parks), "kind": "parks"},
                {"id": "roads", "path": str(roads), "kind": "roads"},
                {"id": "trails", "path": str(trails), "kind": "trails"},
                {"id": "buildings", "path": str(buildings), "kind": "buildings"},
            ],
        },
        "cameras": [
            {"id": "down", "source": {"url": "x.mp4"}, "placement": DOWN},
            {"id": "unplaced", "source": {"url": "y.mp4"}},
        ],
        "planning": {"candidate_spacing_m": 25, "grid_m": 2},
    }


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def make_site(tmp_path: Path) -> Any:
    """Write the site's config with changes: `make_site(cameras=[...], planning={...})`."""

    def make(**changes: Any) -> Path:
        data = site_config(tmp_path)
        planning = changes.pop("planning", {})
        data.update(changes)
        data["planning"] = {**data["planning"], **planning}
        return write_config(tmp_path, data)

    return make


@pytest.fixture
def site_file(make_site: Any) -> Path:
    path: Path = make_site()
    return path


@pytest.fixture
def config(site_file: Path) -> Config:
    return load_config(site_file)
