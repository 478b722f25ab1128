"""Crowd what-ifs: the Weidmann check, the station egress and a 10-minute look-ahead.

`python bench/crowd_whatif.py [--skip-egress] [--plot docs/crowd-fd.png]` prints one JSON
object: the fundamental diagram at step 0.05 s and 0.01 s against Weidmann (1993), the
2,000-person ten-minute egress of config/scenarios/gongdeok-station-egress.yaml and a
ten-minute look-ahead of gate 4 at 4 p/m2 with 60 people/min arriving, and the same
look-ahead seeded from flows as the periodic look-ahead does it (`--lookahead-only` runs
just the two look-aheads). Wall and CPU seconds are both given: on a loaded machine wall
time is CPU time stretched by the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from cctwin.config import load_config
from cctwin.scenarios.crowd.lookahead import LookaheadRequest, run_lookahead
from cctwin.scenarios.crowd.run import run_crowd
from cctwin.scenarios.crowd.seeding import free_speed
from cctwin.scenarios.crowd.validation import fundamental_diagram
from cctwin.scenarios.models import CrowdScenario, load_scenario

REPO = Path(__file__).resolve().parents[1]
EGRESS = REPO / "config" / "scenarios" / "gongdeok-station-egress.yaml"
DENSITIES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def diagram(step_s: float) -> dict[str, object]:
    started = time.process_time()
    points = fundamental_diagram(DENSITIES, step_s)
    deviations = [p.deviation for p in points]
    return {
        "step_s": step_s,
        "points": [
            {
                "density": round(p.density, 2),
                "speed": round(p.speed, 3),
                "weidmann": round(p.weidmann, 3),
            }
            for p in points
        ],
        "rms_deviation_mps": round((sum(d * d for d in deviations) / len(deviations)) ** 0.5, 3),
        "max_abs_deviation_mps": round(max(abs(d) for d in deviations), 3),
        "cpu_s": round(time.process_time() - started, 1),
    }


def timed(fn, *args):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, round(time.perf_counter() - wall, 1), round(time.process_time() - cpu, 1)


def plot(diagrams: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cctwin.scenarios.crowd.validation import weidmann_speed

    figure, axes = plt.subplots(figsize=(6, 4))
    grid = [0.3 + 0.05 * i for i in range(60)]
    axes.plot(grid, [weidmann_speed(d) for d in grid], "k-", label="Weidmann 1993")
    for entry in diagrams:
        points = entry["points"]
        assert isinstance(points, list)
        axes.plot(
            [p["density"] for p in points],
            [p["speed"] for p in points],
            "o",
            label=f"JuPedSim CFSM, step {entry['step_s']} s",
        )
    axes.set_xlabel("density (persons/m²)")
    axes.set_ylabel("speed (m/s)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "demo.yaml")
    parser.add_argument("--skip-egress", action="store_true")
    parser.add_argument("--lookahead-only", action="store_true")
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    os.chdir(REPO)
    config = load_config(args.config)
    report: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.processor() or platform.machine(),
        "load_before": os.getloadavg(),
    }
    if not args.lookahead_only:
        report["fundamental_diagram"] = [diagram(0.05), diagram(0.01)]
        print(json.dumps({"fundamental_diagram": report["fundamental_diagram"]}), flush=True)
    if args.plot is not None and not args.lookahead_only:
        plot(report["fundamental_diagram"], args.plot)  # type: ignore[arg-type]
    if not args.skip_egress and not args.lookahead_only:
        scenario = load_scenario(EGRESS)
        assert isinstance(scenario, CrowdScenario)
        result, wall, cpu = timed(run_crowd, scenario, config)
        report["egress"] = {**result.summary(), "bench_wall_s": wall, "bench_cpu_s": cpu}
        print(json.dumps({"egress": report["egress"]}), flush=True)
    request = LookaheadRequest(
        at=(126.9520528, 37.5451136),
        radius_m=12,
        persons_per_m2=4.0,
        inflow_per_min=60,
        horizon_s=600,
    )
    (_, look), wall, cpu = timed(run_lookahead, request, config, {})
    report["lookahead"] = {**look.summary(), "bench_wall_s": wall, "bench_cpu_s": cpu}
    print(json.dumps({"lookahead": report["lookahead"]}), flush=True)
    # Seeded from flows: 0.2 m/s measured at 4 p/m2 (Weidmann's free speed from it) and the
    # stairs' `in` crossings heading east, as LookaheadService builds the request.
    seeded = request.model_copy(
        update={"free_speed_mps": free_speed(4.0, 0.2), "heading_deg": 90.0}
    )
    (_, flows), wall, cpu = timed(run_lookahead, seeded, config, {})
    report["lookahead_flows"] = {
        **flows.summary(),
        "free_speed_mps": seeded.free_speed_mps,
        "heading_deg": seeded.heading_deg,
        "bench_wall_s": wall,
        "bench_cpu_s": cpu,
    }
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
