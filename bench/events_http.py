"""Events listing over HTTP at a fixed request rate, 1,000,000 events in SQLite; prints JSON.

Serves the store filled by bench/events_query.py (var/bench/events.db; run that first)
through `cctwin up` with no cameras, then sends dashboard-like queries at a fixed rate
(default 200 requests/s, open loop: a slow answer does not slow the sender down) and
reports latency percentiles from send to full response.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


async def load(
    url: str, rate: float, seconds: float, headers: dict[str, str]
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, timeout=10, headers=headers) as client:
        latest = (await client.get("/api/events", params={"limit": 50})).json()
        newest = datetime.fromisoformat(latest["items"][0]["occurred_at"])
        cursor = latest["next_cursor"]
        cameras = sorted({e["camera_id"] for e in latest["items"]})
        queries = [
            {"limit": 50},
            {"limit": 50, "camera": random.choice(cameras)},
            {"limit": 50, "kind": "intrusion", "since": (newest - timedelta(days=1)).isoformat()},
            {"limit": 50, "cursor": cursor},
        ]

        async def one(params: dict[str, object]) -> None:
            nonlocal errors
            started = time.perf_counter()
            response = await client.get("/api/events", params=params)  # type: ignore[arg-type]
            if response.status_code != 200:
                errors += 1
            latencies.append(time.perf_counter() - started)

        tasks = []
        start = time.perf_counter()
        count = int(rate * seconds)
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(queries[i % len(queries)])))
        await asyncio.gather(*tasks)
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "events.db")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db} not found: run bench/events_query.py first")
    from cctwin.bench.service import ServiceProcess

    folder = Path(tempfile.mkdtemp(prefix="cctwin-http-"))
    config = {"store": {"path": str(args.db.resolve())}, "media": {"path": str(folder / "media")}}
    service = ServiceProcess(config, folder)
    service.start()
    url = service.url
    try:
        latencies, errors = asyncio.run(load(url, args.rate, args.seconds, service.headers))
        values = np.array(latencies) * 1000
        print(json.dumps({
            "benchmark": "events_http",
            "date": datetime.now(UTC).date().isoformat(),
            "machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
            "rate_rps": args.rate,
            "requests": len(latencies),
            "errors": errors,
            "p50_ms": round(float(np.percentile(values, 50)), 1),
            "p95_ms": round(float(np.percentile(values, 95)), 1),
            "p99_ms": round(float(np.percentile(values, 99)), 1),
        }, indent=2))  # fmt: skip
    finally:
        service.stop()


if __name__ == "__main__":
    main()
