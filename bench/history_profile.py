"""Where the time of a 30-day, one-minute history read goes: one zone through the NGSI-LD
temporal API (normalized, temporalValues, hourly aggregation) and /api/twin/history (step 60
and 3600), in process (FastAPI TestClient). Prints p50/p95 per route and, with --profile,
the top cumulative functions of one call of each.

The store: 30 days of one-minute raw peopleCount instances of one zone (43,200 rows, as
bench/ngsi.py writes them) and 30 days of one-minute density rollups (as
bench/twin_replay.py), beside 2 hours of 1 Hz values of 8 zones and 2 cameras (345,600 rows).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from twin_replay import NOW, fill, summary

BASE = "https://uri.etsi.org/ngsi-ld/default-context/"
ZONE = "urn:ngsi-ld:CrowdFlowObserved:cam-1:zone-0"


def fill_ngsi(services: Any, days: int) -> None:
    """The zone's entity and 30 days of one-minute raw peopleCount instances."""
    from cctwin.ngsi.entities import Entity
    from cctwin.ngsi.temporal import Instance

    end = NOW.timestamp()
    minutes = days * 1440
    instances = [
        Instance(ZONE, BASE + "peopleCount", end - 60 * (minutes - i),
                 {"type": "Property", "value": i % 97}, float(i % 97))
        for i in range(minutes)
    ]  # fmt: skip
    entity = Entity(ZONE, [BASE + "CrowdFlowObserved"],
                    {BASE + "peopleCount": {"type": "Property", "value": 1}})  # fmt: skip
    services.ngsi_store.put_entities([entity], instances)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from factories import grant
    from fastapi.testclient import TestClient

    from cctwin.api.main import create_app
    from cctwin.app import Services
    from cctwin.config.loader import parse_config

    tmp = Path(tempfile.mkdtemp(prefix="history-profile-"))
    config = parse_config(
        f"store: {{type: sqlite, path: {tmp}/db.sqlite}}\nmedia: {{path: {tmp}/m}}\n"
    )
    services = Services(config, start_workers=False)
    fill(services, args.hours, args.days)
    fill_ngsi(services, args.days)
    start = (NOW - timedelta(days=args.days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (NOW + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = {"timerel": "between", "timeAt": start, "endTimeAt": end, "attrs": "peopleCount"}
    span = {"zone": "cam-1:zone-0", "attr": "density",
            "from": (NOW - timedelta(days=args.days)).isoformat(), "to": NOW.isoformat()}  # fmt: skip
    calls = {
        "ngsi_normalized": (f"/ngsi-ld/v1/temporal/entities/{ZONE}", window),
        "ngsi_temporal_values": (
            f"/ngsi-ld/v1/temporal/entities/{ZONE}", {**window, "options": "temporalValues"}),
        "ngsi_aggregated_hourly": (f"/ngsi-ld/v1/temporal/entities/{ZONE}", {
            **window, "options": "aggregatedValues", "aggrMethods": "avg,max",
            "aggrPeriodDuration": "PT1H"}),
        "twin_history_step_60": ("/api/twin/history", {**span, "step": "60"}),
        "twin_history_step_3600": ("/api/twin/history", {**span, "step": "3600"}),
    }  # fmt: skip
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    with TestClient(create_app(services, web_dir=tmp / "no-web")) as client:
        client.headers.update(grant(services.store, "bench", "admin"))
        for name, (path, params) in calls.items():
            timings, cpu, size = [], [], 0
            for _ in range(args.runs):
                began, began_cpu = time.perf_counter(), time.process_time()
                response = client.get(path, params=params)
                timings.append((time.perf_counter() - began) * 1000)
                # CPU seconds of this process (client and server threads): what the request
                # costs whatever else the machine runs; wall time is that plus waiting.
                cpu.append((time.process_time() - began_cpu) * 1000)
                assert response.status_code == 200, response.text
                size = len(response.content)
            cpu_ms = summary(cpu)
            results[name] = {**summary(timings), "bytes": size,
                             "cpu_p50_ms": cpu_ms["p50_ms"], "cpu_p95_ms": cpu_ms["p95_ms"]}  # fmt: skip
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                client.get(path, params=params)
                profiler.disable()
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
                print(f"=== {name}\n" + text.getvalue()[-3500:], file=sys.stderr)
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
