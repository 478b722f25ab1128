"""New event -> browser (SSE) latency with 16 cameras running; prints one JSON object.

Starts `cctwin up` with N cameras looping a generated 640x360 clip (paced like live cameras,
2 fps analysed each), opens an SSE client, then posts events (`POST /api/events`, the same
path a camera's events take after the worker: store, bus, alerts) and times each from the
moment it is sent to the moment the SSE client reads it. Also samples the service's resident
memory (all its processes) during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (PSS would need root on some kernels)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=5.0, help="events posted per second")
    args = parser.parse_args()
    from cctwin.bench.clips import MovingBox, write_synthetic_clip
    from cctwin.bench.service import ServiceProcess

    folder = Path(tempfile.mkdtemp(prefix="cctwin-sse-"))
    clip = write_synthetic_clip(
        folder / "clip.mp4", width=640, height=360, fps=10, seconds=6, gop=10,
        moving_boxes=[MovingBox((40, 180), (600, 180), (30, 60), (0, 0, 255))],
    )  # fmt: skip
    camera = {
        "source": {"url": str(clip), "loop": True, "pace": True},
        "sampling": {"mode": "fps", "fps": 2},
        "analytics": {"zones": [{"id": "yard", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}]},
    }
    config = {
        "detector": {"input_width": 416, "input_height": 256, "threads": 1},
        "store": {"path": str(folder / "cctwin.db")},
        "media": {"path": str(folder / "media")},
        "service": {"allow_event_injection": True},
        "alerts": {"rules": [{"id": "r", "event_kinds": ["intrusion"], "dedupe_s": 5}]},
        "cameras": [{"id": f"cam{i + 1}", **camera} for i in range(args.cameras)],
    }
    service = ServiceProcess(config, folder)
    service.start()
    url = service.url
    try:
        time.sleep(15)  # let every camera start and the detector warm up
        sent: dict[str, float] = {}
        latencies: list[float] = []
        done = threading.Event()

        def listen() -> None:
            with httpx.stream(
                "GET", url + "/api/stream", timeout=None, headers=service.headers
            ) as response:
                name = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: ") and name == "event":
                        event = json.loads(line[6:])
                        if event["id"] in sent:
                            latencies.append(time.perf_counter() - sent.pop(event["id"]))
                    if done.is_set():
                        return

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1)
        memory = []
        started = time.monotonic()
        client = httpx.Client(base_url=url, timeout=10, headers=service.headers)
        count = 0
        while time.monotonic() - started < args.seconds:
            count += 1
            body = {
                "kind": "intrusion", "camera_id": f"cam{count % args.cameras + 1}",
                "rule_id": "yard", "zone_id": "yard", "track_id": count,
                "occurred_at": datetime.now(UTC).isoformat(), "frame_index": count,
            }  # fmt: skip
            from cctwin.types import Event, EventKind

            expected = Event(
                kind=EventKind.INTRUSION, camera_id=body["camera_id"], rule_id="yard",
                occurred_at=datetime.fromisoformat(body["occurred_at"]), frame_index=count,
                track_id=count, class_name="person", confidence=1.0,
            ).id  # fmt: skip
            sent[expected] = time.perf_counter()
            client.post("/api/events", json=body).raise_for_status()
            if count % 25 == 0:
                memory.append(rss_mb(service.pid))
            time.sleep(1 / args.rate)
        time.sleep(2)
        done.set()
        cameras = httpx.get(url + "/api/cameras", headers=service.headers).json()
        values = np.array(latencies) * 1000
        print(json.dumps({
            "benchmark": "sse_latency",
            "date": datetime.now(UTC).date().isoformat(),
            "machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
            "cameras": args.cameras,
            "cameras_online": sum(c["state"] == "online" for c in cameras),
            "mean_camera_fps": round(float(np.mean([c["fps"] for c in cameras])), 2),
            "events_posted": count,
            "events_received": len(latencies),
            "p50_ms": round(float(np.percentile(values, 50)), 1),
            "p95_ms": round(float(np.percentile(values, 95)), 1),
            "max_ms": round(float(values.max()), 1),
            "rss_mb_first": round(memory[0], 1) if memory else None,
            "rss_mb_last": round(memory[-1], 1) if memory else None,
            "rss_mb_max": round(max(memory), 1) if memory else None,
        }, indent=2))  # fmt: skip
    finally:
        service.stop()


if __name__ == "__main__":
    main()
