"""Interoperability: the PyPI client `ngsildclient` reads cctwin's twin entities over HTTP,
and one of its subscriptions is notified to a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from factories import grant, observation_of, status_of

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.messages import CameraState, ObservationKind

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "ngsi"))
from notify_server import Receiver

ngsildclient = pytest.importorskip("ngsildclient")
requests = pytest.importorskip("requests")

CONFIG = """
cameras:
  - id: cam-1
    source: {{url: clip.mp4}}
    placement: {{lon: 126.951, lat: 37.544, heading_deg: 90, fov_deg: 70, range_m: 40}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""
ZONE = "urn:ngsi-ld:CrowdFlowObserved:cam-1:plaza"
AT = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Services, int, uvicorn.Server]]:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "m"))
    services = Services(config, start_workers=False)
    port = _free_port()
    app = create_app(services, web_dir=tmp_path / "no-web")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield services, port, server
    server.should_exit = True
    thread.join(10)


def _publish(services: Services, server: uvicorn.Server, *facts: object) -> None:
    import asyncio

    loop = services.loop
    assert loop is not None
    for fact in facts:
        asyncio.run_coroutine_threadsafe(services.bus.publish(fact), loop).result(10)  # type: ignore[arg-type]


def test_ngsildclient_reads_twin_entities_and_gets_a_notification(
    served: tuple[Services, int, uvicorn.Server],
) -> None:
    services, port, server = served
    receiver = Receiver()
    try:
        _publish(
            services,
            server,
            status_of("cam-1", CameraState.ONLINE, AT, fps=12.0),
            observation_of(ObservationKind.CROWD_COUNT, "cam-1", "plaza", AT, 12.0),
        )
        # An integrator's API key, sent the way any requests-based client sends credentials.
        headers = grant(services.store, "interop", "integrator")

        class BearerKey(requests.auth.AuthBase):
            def __call__(self, request: Any) -> Any:
                request.headers.update(headers)
                return request

        client = ngsildclient.Client(
            hostname="127.0.0.1", port=port, verbose=False, custom_auth=BearerKey()
        )
        deadline = time.monotonic() + 20
        while not client.exists(ZONE) and time.monotonic() < deadline:
            time.sleep(0.1)
        entity = client.get(ZONE)
        assert entity.type == "CrowdFlowObserved"
        assert entity["peopleCount.value"] == 12
        cameras = client.query(type="Camera")
        assert [c.id for c in cameras] == ["urn:ngsi-ld:Camera:cam-1"]
        assert client.count(type="CrowdFlowObserved") == 1

        subscription = {
            "id": "urn:ngsi-ld:Subscription:interop",
            "type": "Subscription",
            "entities": [{"type": "CrowdFlowObserved"}],
            "watchedAttributes": ["peopleCount"],
            "notification": {"endpoint": {"uri": receiver.url, "accept": "application/json"}},
            "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        }
        client.subscriptions.create(subscription)
        assert client.subscriptions.exists("urn:ngsi-ld:Subscription:interop")
        later = AT.replace(minute=1)
        _publish(
            services,
            server,
            observation_of(ObservationKind.CROWD_COUNT, "cam-1", "plaza", later, 33.0),
        )
        (notification,) = receiver.wait_for(1)
        assert notification["subscriptionId"] == "urn:ngsi-ld:Subscription:interop"
        assert notification["data"][0]["id"] == ZONE
        assert notification["data"][0]["peopleCount"]["value"] == 33
        client.close()
    finally:
        receiver.close()
