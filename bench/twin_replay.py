"""Replay benchmarks: GET /api/twin/at and /api/twin/history on a demo-sized store, in process.

Prints one JSON object with p50/p95 in ms (FastAPI TestClient, so routing and JSON included,
no network):

* twin_at: the twin at a random moment of the last 2 hours; 8 crowd zones and 2 cameras at
  1 Hz raw (zone: peopleCount, density, riskLevel, congested; camera: deviceState, fps, lag,
  framesDropped, reconnects, on), 200 alerts and 2,000 events with snapshots over the 2 hours;
* history_30d_1min: one zone's density over 30 days of one-minute rollups (43,200 rows)
  at step=3600 (chart of a month) and step=60 (every minute).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CAMERAS = ("cam-1", "cam-2")
ZONES = [f"zone-{i}" for i in range(4)]
BASE = "https://uri.etsi.org/ngsi-ld/default-context/"


def _rows(entity: str, attrs: dict[str, Any], ts: float) -> list[dict[str, Any]]:
    out = []
    for name, value in attrs.items():
        number = float(value) if isinstance(value, (int, float)) else None
        body = json.dumps({"type": "Property", "value": value})
        out.append({"entity_id": entity, "attr": BASE + name, "observed_ts": ts,
                    "number": number, "body": body, "resolution_s": 0.0})  # fmt: skip
    return out


def fill(services: Any, hours: float, days: int) -> int:
    from cctwin.store.tables import NgsiInstanceRow

    table = NgsiInstanceRow.__table__
    end = NOW.timestamp()
    rows: list[dict[str, Any]] = []
    for second in range(int(hours * 3600)):
        ts = end - hours * 3600 + second
        for camera in CAMERAS:
            rows += _rows(f"urn:ngsi-ld:Device:{camera}", {"deviceState": "online", "fps": 5.0,
                          "lagSeconds": 0.1, "framesDropped": 0, "reconnects": 0}, ts)  # fmt: skip
            for zone in ZONES:
                count = (second + hash(zone)) % 40
                rows += _rows(f"urn:ngsi-ld:CrowdFlowObserved:{camera}:{zone}", {
                    "peopleCount": count, "density": count / 300, "riskLevel": "normal",
                    "congested": False}, ts)  # fmt: skip
    zone = "urn:ngsi-ld:CrowdFlowObserved:cam-1:zone-0"
    for minute in range(days * 1440):
        ts = end - days * 86400 + minute * 60
        value = (minute % 97) / 300
        rows.append({"entity_id": zone, "attr": BASE + "density", "observed_ts": ts,
                     "number": value, "high": value * 1.5, "last": value,
                     "body": json.dumps({"type": "Property", "value": value}),
                     "resolution_s": 60.0})  # fmt: skip
    engine = services.ngsi_store._engine
    with engine.begin() as connection:
        for start in range(0, len(rows), 20000):
            connection.execute(table.insert(), rows[start : start + 20000])
    return len(rows)


def fill_records(services: Any, hours: float) -> None:
    from factories import event_of

    from cctwin.messages import MediaKind, MediaReady
    from cctwin.types import Alert, AlertStatus, EventKind, Severity

    rng = random.Random(7)
    events, media = [], []
    for i in range(2000):
        at = NOW - timedelta(seconds=rng.uniform(0, hours * 3600))
        event = event_of(kind=EventKind.ZONE_ENTER, camera_id=rng.choice(CAMERAS),
                         rule_id="zone-0", zone_id="zone-0", occurred_at=at, frame_index=i,
                         track_id=i, class_name="person", confidence=0.9)  # fmt: skip
        events.append(event)
        media.append(MediaReady(kind=MediaKind.SNAPSHOT, camera_id=event.camera_id,
                                path=f"s/{i}.jpg", created_at=at, event_id=event.id, bytes=1))  # fmt: skip
    services.store.add_events(events)
    services.store.add_media_records(media)
    for i, event in enumerate(events[:200]):
        closed = event.occurred_at + timedelta(minutes=rng.uniform(1, 30))
        services.store.insert_alert(Alert(
            id=f"a-{i}", rule_id="zone-0", camera_id=event.camera_id, kind=event.kind,
            severity=Severity.HIGH, status=AlertStatus.RESOLVED, title="entry",
            opened_at=event.occurred_at, updated_at=closed, closed_at=closed,
            event_ids=(event.id,), zone_id="zone-0"))  # fmt: skip


def summary(values: list[float]) -> dict[str, float]:
    array = np.asarray(values)
    return {"p50_ms": float(np.percentile(array, 50)), "p95_ms": float(np.percentile(array, 95)),
            "n": len(values)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    from factories import grant
    from fastapi.testclient import TestClient

    from cctwin.api.main import create_app
    from cctwin.app import Services
    from cctwin.config.loader import parse_config

    tmp = Path(tempfile.mkdtemp(prefix="twin-bench-"))
    config = parse_config(
        f"store: {{type: sqlite, path: {tmp}/db.sqlite}}\nmedia: {{path: {tmp}/m}}\n"
    )
    services = Services(config, start_workers=False)
    started = time.perf_counter()
    rows = fill(services, args.hours, args.days)
    fill_records(services, args.hours)
    filled_s = time.perf_counter() - started
    rng = random.Random(1)
    with TestClient(create_app(services, web_dir=tmp / "no-web")) as client:
        client.headers.update(grant(services.store, "bench", "operator"))
        at_ms, at_cpu_ms, sizes = [], [], []
        for _ in range(args.runs):
            at = NOW - timedelta(seconds=rng.uniform(0, args.hours * 3600))
            t0, cpu0 = time.perf_counter(), time.process_time()
            response = client.get("/api/twin/at", params={"time": at.isoformat()})
            at_ms.append((time.perf_counter() - t0) * 1000)
            # CPU of this process (client and server): the cost whatever else the machine runs.
            at_cpu_ms.append((time.process_time() - cpu0) * 1000)
            assert response.status_code == 200, response.text
            body = response.json()
            sizes.append((len(body["zones"]), len(body["cameras"]), len(body["events"])))
        history: dict[str, list[float]] = {"3600": [], "60": []}
        span = {"zone": "cam-1:zone-0", "attr": "density",
                "from": (NOW - timedelta(days=args.days)).isoformat(), "to": NOW.isoformat()}  # fmt: skip
        for step in history:
            for _ in range(max(5, args.runs // 5)):
                t0 = time.perf_counter()
                response = client.get("/api/twin/history", params={**span, "step": step})
                history[step].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.text
    result = {
        "rows": rows, "fill_s": round(filled_s, 1), "load": os.getloadavg(),
        "zones_cameras_events_per_answer": sizes[0],
        "twin_at": summary(at_ms),
        "twin_at_cpu": summary(at_cpu_ms),
        "history_30d_1min_step_1h": summary(history["3600"]),
        "history_30d_1min_step_1min": summary(history["60"]),
    }  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
