"""NGSI-LD broker benchmarks over HTTP against `cctwin` served by uvicorn in another process.

Prints one JSON object:

* batch_upsert: entity updates per second through POST /entityOperations/upsert (batches of
  100 CrowdFlowObserved entities, 4 attributes each, every attribute a temporal instance)
  into SQLite;
* retrieve: GET /entities/{id} one at a time (latency and the rate that gives), then at a
  steady 200 requests/s (open loop: latency includes queueing when the server falls behind);
* temporal: GET /temporal/entities/{id} over 30 days of 1-minute values of one zone
  (43,200 instances), aggregated per hour (avg,max) and as raw temporalValues; p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

BASE = "/ngsi-ld/v1"
ZONE = "urn:ngsi-ld:CrowdFlowObserved:bench:zone-0"


def serve(db: str, port: int) -> None:
    import uvicorn

    from cctwin.api.main import create_app
    from cctwin.app import Services
    from cctwin.config import Config

    config = Config.model_validate(
        {"store": {"type": "sqlite", "path": db}, "media": {"path": str(Path(db).parent / "m")}}
    )
    app = create_app(Services(config, start_workers=False), web_dir=Path(db).parent / "no-web")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def body(n: int, count: int, at: datetime) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": f"urn:ngsi-ld:CrowdFlowObserved:bench:zone-{n}",
        "type": "CrowdFlowObserved",
        "peopleCount": {"type": "Property", "value": count, "observedAt": stamp},
        "density": {
            "type": "Property",
            "value": count / 100,
            "observedAt": stamp,
            "unitCode": "28",
        },
        "riskLevel": {"type": "Property", "value": "normal", "observedAt": stamp},
        "congested": {"type": "Property", "value": False, "observedAt": stamp},
    }


def batch_upsert(client: httpx.Client, batches: int, size: int) -> dict[str, float]:
    start = datetime(2026, 12, 6, tzinfo=UTC)
    began = time.perf_counter()
    for b in range(batches):
        at = start + timedelta(seconds=b)
        payload = [body(n, b + n, at) for n in range(size)]
        response = client.post(f"{BASE}/entityOperations/upsert", json=payload)
        assert response.status_code in (201, 204), response.text
    seconds = time.perf_counter() - began
    return {"entities_per_s": batches * size / seconds, "batches": batches, "batch_size": size}


async def steady_gets(
    port: int, path: str, rate: float, seconds: float, headers: dict[str, str]
) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        timeout=httpx.Timeout(60, pool=None),
        limits=limits,
        headers=headers,
    ) as client:

        async def one() -> None:
            began = time.perf_counter()
            response = await client.get(path)
            assert response.status_code == 200, response.text
            latencies.append(1000 * (time.perf_counter() - began))

        tasks = []
        began = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = began + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return latencies


def summary(ms: list[float]) -> dict[str, float]:
    values = np.array(ms)
    return {
        "n": len(ms),
        "p50_ms": float(np.percentile(values, 50)),
        "p95_ms": float(np.percentile(values, 95)),
        "max_ms": float(values.max()),
    }


def fill_history(db: str, days: int) -> None:
    """30 days of 1-minute peopleCount instances of one zone, written straight to the store."""
    from cctwin.config import SqliteStoreConfig
    from cctwin.ngsi.temporal import Instance
    from cctwin.store.ngsi import NgsiStore

    store = NgsiStore.open(SqliteStoreConfig(path=Path(db)))
    end = datetime(2026, 12, 6, tzinfo=UTC).timestamp()
    minutes = days * 1440
    instances = [
        Instance(ZONE, "https://uri.etsi.org/ngsi-ld/default-context/peopleCount",
                 end - 60 * (minutes - i), {"type": "Property", "value": i % 97}, float(i % 97))
        for i in range(minutes)
    ]  # fmt: skip
    for start in range(0, len(instances), 5000):
        store.put_entities([], instances[start : start + 5000])
    store.close()


def timed_gets(client: httpx.Client, path: str, params: dict[str, str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        out.append(1000 * (time.perf_counter() - began))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--retrieve-seconds", type=float, default=10.0)
    parser.add_argument("--temporal-runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "ngsi.sqlite")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = multiprocessing.get_context("spawn").Process(target=serve, args=(db, port))
        server.start()
        try:
            results = run(db, port, args)
        finally:
            server.terminate()
            server.join(10)
    results["machine"] = {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()}
    results["date"] = datetime.now(UTC).date().isoformat()
    print(json.dumps(results, indent=2))


def integrator_key(db: str) -> dict[str, str]:
    """An API key of the integrator role (the API needs credentials) in the bench's store."""
    from cctwin.config import SqliteStoreConfig
    from cctwin.security import keys
    from cctwin.security.roles import Role
    from cctwin.store.sql import SqlStore

    full, key_id, secret_hash = keys.new_key()
    with SqlStore.open(SqliteStoreConfig(path=Path(db))) as store:
        store.add_key(
            keys.ApiKey("bench", key_id, secret_hash, Role.INTEGRATOR, None, datetime.now(UTC))
        )
    return {"Authorization": f"Bearer {full}"}


def run(db: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    headers = integrator_key(db)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, headers=headers) as client:
        for _ in range(300):
            try:
                client.get(f"{BASE}/types")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        upsert = batch_upsert(client, args.batches, 100)
        sequential = timed_gets(client, f"{BASE}/entities/{ZONE}", {}, 500)
        retrieve = asyncio.run(
            steady_gets(port, f"{BASE}/entities/{ZONE}", 200, args.retrieve_seconds, headers)
        )
        fill_history(db, 30)
        window = {
            "timerel": "between",
            "timeAt": "2026-11-06T00:00:00Z",
            "endTimeAt": "2026-12-06T00:00:01Z",
        }
        aggregated = timed_gets(
            client,
            f"{BASE}/temporal/entities/{ZONE}",
            {**window, "attrs": "peopleCount", "options": "aggregatedValues",
             "aggrMethods": "avg,max", "aggrPeriodDuration": "PT1H"},
            args.temporal_runs,
        )  # fmt: skip
        raw = timed_gets(
            client,
            f"{BASE}/temporal/entities/{ZONE}",
            {**window, "attrs": "peopleCount", "options": "temporalValues"},
            max(3, args.temporal_runs // 4),
        )
    return {
        "batch_upsert": upsert,
        "retrieve_one_at_a_time": {
            **summary(sequential),
            "req_per_s": 1000 * len(sequential) / sum(sequential),
        },
        "retrieve_at_200_rps": summary(retrieve),
        "temporal_30d_1min_aggregated_hourly": summary(aggregated),
        "temporal_30d_1min_raw_values": summary(raw),
    }


if __name__ == "__main__":
    main()
