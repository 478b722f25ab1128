"""Camera planning over the demo district: coverage of 500 cameras, K = 20 among 2,000 candidates.

Coverage: 500 seeded cameras at random points of the district's roads and trails (4-12 m,
any heading, tilted 20-50 degrees, 50-100 degrees wide, range 30-60 m); the time covers the
site model, every occluded footprint, the surfaces, the union, the blind spots and each
camera's unique coverage, as `cctwin twin coverage` computes them.
Plan: 2,000 candidate positions along the roads and trails (thinned evenly from a 10 m
spacing), 8 headings x 2 lenses each (32,000 footprints), K = 20, the four demo cameras
already there; the time covers everything `cctwin twin plan` does. One JSON object is printed.
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
from typing import Any

from cctwin.config import CameraConfig, Config, load_config
from cctwin.planning.candidates import along_lines
from cctwin.planning.coverage import measure
from cctwin.planning.plan import plan_cameras
from cctwin.twin.layers import load_site_model, site_geometry

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "config" / "demo.yaml"


def cameras(config: Config, count: int, seed: int) -> list[CameraConfig]:
    """`count` cameras at seeded random points along the roads and trails."""
    rng = random.Random(seed)
    origin = config.site.center or (126.9516, 37.5442)
    geometry = site_geometry(load_site_model(config.site), (origin[0], origin[1]))
    spots = along_lines(load_site_model(config.site), geometry, 5.0)
    picked = rng.sample(spots, count)
    lonlat = geometry.to_lonlat([(s[2], s[3]) for s in picked])
    return [
        CameraConfig.model_validate(
            {
                "id": f"cam-{i:04d}",
                "source": {"url": "synthetic.mp4"},
                "placement": {
                    "lon": float(lonlat[i][0]),
                    "lat": float(lonlat[i][1]),
                    "heading_deg": rng.uniform(0, 359.9),
                    "height_m": rng.uniform(4, 12),
                    "tilt_deg": rng.uniform(20, 50),
                    "fov_deg": rng.uniform(50, 100),
                    "range_m": rng.uniform(30, 60),
                },
            }
        )
        for i in range(count)
    ]


def bench_coverage(demo: Config, count: int, seed: int) -> dict[str, Any]:
    config = demo.model_copy(update={"cameras": cameras(demo, count, seed)})
    start = time.perf_counter()
    report = measure(config).report
    wall = time.perf_counter() - start
    return {
        "cameras": count,
        "wall_s": round(wall, 2),
        "target_s": 10,
        "covered_fraction": report.covered_fraction,
        "by_class": {k: v.fraction for k, v in report.by_class.items()},
        "blind_spots": len(report.blind_spots["features"]),
    }


def bench_plan(demo: Config, add: int, positions: int, time_limit: float) -> dict[str, Any]:
    planning = demo.planning.model_copy(
        update={"candidate_spacing_m": 10.0, "max_candidates": positions}
    )
    config = demo.model_copy(update={"planning": planning})
    start = time.perf_counter()
    report = plan_cameras(config, add, "roads", time_limit)
    wall = time.perf_counter() - start
    return {
        "add": add,
        "wall_s": round(wall, 2),
        "target_s": 60,
        "stages_s": report.stages_s,
        "candidates": report.candidates,
        "before": report.before,
        "after": report.after,
        "milp": {k: v for k, v in report.solver.model_dump().items() if k != "cameras"},
        "greedy": {k: v for k, v in report.greedy.model_dump().items() if k != "cameras"},
        "optimality_gap": report.optimality_gap,
        "chosen_by": report.chosen_by,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--positions", type=int, default=2000)
    parser.add_argument("--add", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    demo = load_config(DEMO)
    result = {
        "benchmark": "planning",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "load_average": os.getloadavg()[0],
        "coverage": bench_coverage(demo, args.cameras, args.seed),
        "plan": bench_plan(demo, args.add, args.positions, args.time_limit),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
