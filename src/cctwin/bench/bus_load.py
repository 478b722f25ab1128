"""A steady synthetic publisher: numbered events and observations, as a worker would send them.

Run as `python -m cctwin.bench.bus_load --url nats://... --rate 200 --seconds 20`: it
publishes through the same NATS worker publisher as the analysis workers (buffering while
the broker is away), then prints how many facts it handed over. `facts(n)` rebuilds the
same facts, so a test can tell exactly which ones must be in the store.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cctwin.config import NatsBusConfig
from cctwin.messages import Event, EventKind, ObjectPayload, Observation, ObservationKind

EPOCH = datetime(2026, 12, 6, tzinfo=UTC)


def fact(index: int, camera_id: str = "load") -> Event | Observation:
    """The index-th fact of the load: every fourth is an observation, the rest events."""
    at = EPOCH + timedelta(milliseconds=index)
    if index % 4 == 3:
        return Observation(
            kind=ObservationKind.OCCUPANCY,
            camera_id=camera_id,
            rule_id="yard",
            observed_at=at,
            value=float(index % 17),
        )
    return Event(
        kind=EventKind.ZONE_ENTER,
        camera_id=camera_id,
        rule_id="yard",
        zone_id="yard",
        occurred_at=at,
        frame_index=index + 1,
        track_id=index % 97,
        class_name="person",
        confidence=0.9,
        payload=ObjectPayload(),
    )


def facts(count: int, camera_id: str = "load") -> Iterator[Event | Observation]:
    return (fact(i, camera_id) for i in range(count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--stream", default="CCTWIN")
    parser.add_argument("--rate", type=float, default=200.0, help="Facts per second.")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--flush-s", type=float, default=120.0, help="Longest wait at the end.")
    args = parser.parse_args()
    from cctwin.bus.nats import NatsPublisher

    publisher = NatsPublisher(NatsBusConfig(url=args.url, stream=args.stream))
    count = int(args.rate * args.seconds)
    started = time.monotonic()
    for index, item in enumerate(facts(count)):
        # Steady pacing from the start time, so a slow moment is caught up, not skipped.
        delay = started + index / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        publisher.publish(item)
    publisher.close(args.flush_s)
    sys.stdout.write(json.dumps({"published": count, "left": publisher.pending.qsize()}) + "\n")


if __name__ == "__main__":
    main()
