"""Event listing latency of the SQLite store at 1,000,000 events; prints one JSON object.

Fills var/bench/events.db (kept and reused: filling takes minutes) with events spread over 30
days from 16 cameras, 5 kinds and 8 zones, then times the dashboard's list_events queries
from 4 threads: the latest 50, one camera's latest, one kind in a day, and page 3 by cursor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cctwin.config import SqliteStoreConfig
from cctwin.messages import CrossingPayload, ObjectPayload
from cctwin.store.sql import EventFilter, EventPage, SqlStore
from cctwin.types import Direction, Event, EventKind

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 30
CAMERAS = [f"cam-{n:02}" for n in range(16)]
ZONES = [f"zone-{n}" for n in range(8)]
KINDS = list(EventKind)
BATCH = 10_000


def make_event(index: int, total: int) -> Event:
    """The index-th event; a pure function of the index, so an interrupted fill can resume."""
    pick = random.Random(index)
    kind = KINDS[pick.randrange(len(KINDS))]
    zone = ZONES[pick.randrange(len(ZONES))]
    # Spread evenly in time and inserted in time order, as a live system would.
    at = END - timedelta(days=DAYS) + timedelta(days=DAYS) * (index / total)
    return Event(
        kind=kind,
        camera_id=CAMERAS[pick.randrange(len(CAMERAS))],
        rule_id=zone,
        occurred_at=at,
        frame_index=index,
        track_id=pick.randrange(10_000),
        class_name=pick.choice(["person", "person", "person", "car", "bicycle"]),
        confidence=round(pick.uniform(0.3, 0.99), 3),
        zone_id=zone,
        payload=(
            CrossingPayload(direction=Direction.IN)
            if kind is EventKind.LINE_CROSS
            else ObjectPayload(
                dwell_s=round(pick.uniform(30, 300), 1) if kind is EventKind.LOITERING else None
            )
        ),
    )


def fill(store: SqlStore, total: int, console: Console) -> float | None:
    """Insert events until the store holds `total`; events per second, None if none were."""
    have = store.count_events(EventFilter())
    if have >= total:
        console.print(f"reusing {have:,} events")
        return None
    columns = (
        TextColumn("filling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8,.0f} events/s"),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("fill", total=total, completed=have, rate=0.0)
        for start in range(have, total, BATCH):
            events = [make_event(i, total) for i in range(start, min(start + BATCH, total))]
            store.add_events(events)
            done = start + len(events) - have
            progress.update(task, advance=len(events), rate=done / (time.perf_counter() - started))
    return (total - have) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "events.db")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    console = Console(stderr=True)

    store = SqlStore.open(SqliteStoreConfig(path=args.db))
    fill_rate = fill(store, args.events, console)
    pick = random.Random(42)
    start = END - timedelta(days=DAYS)

    def page_three(filter: EventFilter) -> Callable[[], EventPage]:
        # The cursor comes from reading pages 1 and 2 beforehand; only page 3 is timed.
        cursor = store.list_events(filter, 50).next_cursor
        cursor = store.list_events(filter, 50, cursor).next_cursor
        return lambda: store.list_events(filter, 50, cursor)

    def kind_in_a_day() -> Callable[[], EventPage]:
        since = start + timedelta(hours=pick.randrange(24 * (DAYS - 1)))
        filter = EventFilter(
            kinds=(pick.choice(KINDS),), since=since, until=since + timedelta(days=1)
        )
        return lambda: store.list_events(filter, 50)

    def by_camera() -> Callable[[], EventPage]:
        filter = EventFilter(camera_ids=(pick.choice(CAMERAS),))
        return lambda: store.list_events(filter, 50)

    page_three_filters = [EventFilter(), *(EventFilter(camera_ids=(c,)) for c in CAMERAS)]
    makers: dict[str, Callable[[], Callable[[], EventPage]]] = {
        "latest_50": lambda: lambda: store.list_events(EventFilter(), 50),
        "by_camera": by_camera,
        "kind_in_a_day": kind_in_a_day,
        "page_3_by_cursor": lambda: page_three(pick.choice(page_three_filters)),
    }
    per_kind = args.requests // len(makers)
    requests = [(name, make()) for name, make in makers.items() for _ in range(per_kind)]
    pick.shuffle(requests)
    for _, request in requests[:20]:
        request()  # warm the page cache and the statement cache

    def timed(item: tuple[str, Callable[[], EventPage]]) -> tuple[str, float, int]:
        began = time.perf_counter()
        page = item[1]()
        return item[0], (time.perf_counter() - began) * 1000, len(page.items)

    console.print(f"timing {len(requests):,} requests from {args.threads} threads")
    began = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        results = list(pool.map(timed, requests))
    elapsed = time.perf_counter() - began
    stored = store.count_events(EventFilter())
    store.close()

    queries = {}
    for name in makers:
        latencies = sorted(ms for kind, ms, _ in results if kind == name)
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        queries[name] = {
            "requests": len(latencies),
            "p50_ms": round(cuts[49], 2),
            "p95_ms": round(cuts[94], 2),
            "p99_ms": round(cuts[98], 2),
            "rows_per_page": round(statistics.mean(n for kind, _, n in results if kind == name), 1),
        }
    result = {
        "benchmark": "events_query",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
        "python": platform.python_version(),
        "store": "sqlite",
        "events": stored,
        "db_mb": round(
            sum(p.stat().st_size for p in args.db.parent.glob(args.db.name + "*")) / 2**20
        ),
        "fill_events_per_s": None if fill_rate is None else round(fill_rate),
        "threads": args.threads,
        "requests": len(results),
        "requests_per_s": round(len(results) / elapsed),
        "queries": queries,
    }
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
