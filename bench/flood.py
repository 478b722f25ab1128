"""Flood what-ifs on the demo network: time of a 6-hour storm, cold and with a cached network.

For each scenario file in config/scenarios/flood-*.yaml: one cold run in a fresh process state
(district map and network built, then SWMM) and `--repeat` warm runs (network cached, as a
service that runs several storms sees it). Imports are paid before timing (a service has them
loaded). One JSON object is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import scipy.sparse.csgraph
import scipy.spatial

from cctwin.config import load_config
from cctwin.scenarios.flood import load_flood_scenario, run_flood
from cctwin.scenarios.flood.simulate import _NETWORKS

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "config" / "scenarios").glob("flood-*.yaml"))

# Imported for their import time (a service has them loaded), not used here.
assert scipy.sparse.csgraph
assert scipy.spatial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "demo.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.chdir(REPO)
    config = load_config(args.config)
    runs = []
    for path in SCENARIOS:
        scenario = load_flood_scenario(path)
        _NETWORKS.clear()
        started, cpu = time.perf_counter(), time.process_time()
        cold = run_flood(scenario, config)
        cold_s, cold_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        warm, warm_cpu = [], []
        for _ in range(args.repeat):
            cpu = time.process_time()
            warm.append(run_flood(scenario, config).wall_s)
            warm_cpu.append(time.process_time() - cpu)
        runs.append(
            {
                "scenario": path.name,
                "cold_s": round(cold_s, 3),
                "warm_median_s": round(statistics.median(warm), 3),
                "warm_max_s": round(max(warm), 3),
                # CPU time is what the run costs one core, whatever else shares the machine.
                "cold_cpu_s": round(cold_cpu_s, 3),
                "warm_cpu_median_s": round(statistics.median(warm_cpu), 3),
                **{k: v for k, v in cold.summary().items() if k != "wall_s"},
                "rain_total_mm": cold.rain.total_mm,
                "rain_peak_mm_h": cold.rain.peak_mm_h,
                "routing_error_pct": cold.routing_error_pct,
                "network": cold.network.model_dump(),
                "engine": cold.engine,
            }
        )
    print(
        json.dumps(
            {
                "bench": "flood",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} {os.cpu_count()} CPU",
                "load_1m": round(os.getloadavg()[0], 2),
                "runs": runs,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
