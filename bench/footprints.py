"""Ground footprints with building occlusion for many cameras over the demo district.

Cameras (500 by default, seeded) stand at random points of the district extract's building
area, at 4-12 m, looking anywhere, tilted 15-60 degrees, 50-100 degrees wide, range 30-80 m.
The time covers the site model import, the building index and every occluded footprint, as
`GET /api/site/footprints.geojson` builds them; one JSON object is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from cctwin.config import CameraConfig, Config
from cctwin.twin.district import build_district_map
from cctwin.twin.footprint import raw_footprint
from cctwin.twin.zones_map import footprints_geojson

REPO = Path(__file__).resolve().parents[1]
EXTRACT = REPO / "config" / "site" / "gongdeok.osm"


def cameras(count: int, seed: int, bounds: tuple[float, float, float, float]) -> list[CameraConfig]:
    rng = random.Random(seed)
    west, south, east, north = bounds
    return [
        CameraConfig.model_validate(
            {
                "id": f"cam-{i:04d}",
                "source": {"url": "synthetic.mp4"},
                "placement": {
                    "lon": rng.uniform(west, east),
                    "lat": rng.uniform(south, north),
                    "heading_deg": rng.uniform(0, 359.9),
                    "height_m": rng.uniform(4, 12),
                    "tilt_deg": rng.uniform(15, 60),
                    "fov_deg": rng.uniform(50, 100),
                    "range_m": rng.uniform(30, 80),
                },
            }
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--osm", type=Path, default=EXTRACT)
    args = parser.parse_args()
    # Where the extract's buildings stand, so that most cameras have buildings in view.
    bounds = (126.9490, 37.5443, 126.9580, 37.5490)
    config = Config.model_validate(
        {"site": {"osm": str(args.osm), "center": [126.9535, 37.5466]}, "cameras": []}
    )
    placed = cameras(args.cameras, args.seed, bounds)
    start = time.perf_counter()
    district = build_district_map(config, placed)
    built = time.perf_counter()
    collection = footprints_geojson(district.geometry, district.footprints, placed, {})
    done = time.perf_counter()
    areas = [float(f.ground.area) for f in district.footprints]
    # Cameras whose view a building cuts: the occluded footprint is smaller than the raw one.
    occluded = sum(
        1 for f in district.footprints if f.ground.area < raw_footprint(f.view).area - 0.01
    )
    print(
        json.dumps(
            {
                "benchmark": "footprints",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
                "cameras": len(placed),
                "buildings": len(district.geometry.buildings),
                "total_s": round(done - start, 3),
                "footprints_s": round(built - start, 3),
                "geojson_s": round(done - built, 3),
                "ms_per_camera": round(1000 * (done - start) / max(len(placed), 1), 2),
                "mean_area_m2": round(sum(areas) / max(len(areas), 1), 1),
                "cut_by_buildings": occluded,
                "features": len(collection["features"]),
                "target_s": 10.0,
            }
        )
    )


if __name__ == "__main__":
    main()
