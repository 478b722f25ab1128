"""A small generated district for flood tests: a street grid on a slope, cameras on it."""

from __future__ import annotations

import json
from pathlib import Path

from cctwin.config import Config
from cctwin.geometry.earth import metres_to_lonlat

ORIGIN = (126.9516, 37.5442)
SPACING_M = 80.0
COUNT = 5  # streets each way: a 4 x 4 block grid, 320 m on a side


def _lonlat(x: float, y: float) -> list[float]:
    (point,) = metres_to_lonlat([(x, y)], ORIGIN)
    return [float(point[0]), float(point[1])]


def grid_geojson() -> dict[str, object]:
    """Streets on a square grid centred on ORIGIN, plus one building in every block."""
    half = SPACING_M * (COUNT - 1) / 2
    features: list[dict[str, object]] = []
    for k in range(COUNT):
        at = -half + k * SPACING_M
        # Streets share a vertex where they cross, as OSM ways do.
        along = [-half + i * SPACING_M for i in range(COUNT)]
        for coords in ([(x, at) for x in along], [(at, y) for y in along]):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"highway": "residential", "osm_id": f"street/{len(features)}"},
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [_lonlat(*c) for c in coords],
                    },
                }
            )
    for i in range(COUNT - 1):
        for j in range(COUNT - 1):
            x0, y0 = -half + i * SPACING_M + 15, -half + j * SPACING_M + 15
            ring = [(x0, y0), (x0 + 40, y0), (x0 + 40, y0 + 40), (x0, y0 + 40), (x0, y0)]
            features.append(
                {
                    "type": "Feature",
                    "properties": {"building": "yes", "osm_id": f"building/{i}-{j}"},
                    "geometry": {"type": "Polygon", "coordinates": [[_lonlat(*c) for c in ring]]},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def grid_config(folder: Path, cameras: list[dict[str, object]] | None = None) -> Config:
    """The grid as the site of a config whose store and media live in `folder`."""
    path = folder / "grid.geojson"
    path.write_text(json.dumps(grid_geojson()), encoding="utf-8")
    return Config.model_validate(
        {
            "site": {
                "center": list(ORIGIN),
                "layers": [{"id": "grid", "path": str(path), "kind": "roads"}],
            },
            "cameras": cameras or [],
            "store": {"type": "sqlite", "path": str(folder / "db.sqlite")},
            "media": {"path": str(folder / "media")},
        }
    )


def camera_at(camera_id: str, x: float, y: float, heading_deg: float) -> dict[str, object]:
    """A camera 6 m up at (x, y) metres from the origin, looking along a street."""
    lon, lat = _lonlat(x, y)
    return {
        "id": camera_id,
        "source": {"url": "clip.mp4"},
        "placement": {
            "lon": lon,
            "lat": lat,
            "heading_deg": heading_deg,
            "fov_deg": 60,
            "range_m": 40,
            "height_m": 6,
        },
    }
