"""NGSI-LD notifications over MQTT through a real Mosquitto (Debian's), on 127.0.0.1.

A subscription with an `mqtt://` endpoint: an entity change must arrive at a subscriber of
the topic (`mosquitto_sub`) as `{"metadata": headers, "body": notification}`, at each QoS.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SUBSCRIBER = shutil.which("mosquitto_sub")
pytestmark = [
    pytest.mark.filterwarnings("ignore:Using `httpx`"),
    pytest.mark.skipif(
        not Path(MOSQUITTO).is_file() or SUBSCRIBER is None,
        reason="Mosquitto is not installed (make system-packages installs it)",
    ),
]
PREFIX = "/ngsi-ld/v1"
TOPIC = "cctwin/ngsi/notifications"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"mosquitto did not listen on {port}")


@pytest.fixture(scope="module")
def broker_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("mosquitto")
    port = _free_port()
    config = folder / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_listening(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("ngsi_mqtt")
    text = f"store: {{type: sqlite, path: {tmp / 'db.sqlite'}}}\nmedia: {{path: {tmp / 'media'}}}\n"
    services = Services(parse_config(text), start_workers=False)
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as test_client:
        test_client.headers.update(grant(services.store, "mqtt-tests", "integrator"))
        yield test_client


@pytest.mark.parametrize("qos", ["0", "1", "2"])
def test_an_entity_change_arrives_through_mosquitto(
    client: TestClient, broker_port: int, qos: str
) -> None:
    entity_id = f"urn:ngsi-ld:Building:mqtt-{qos}"
    topic = f"{TOPIC}/{qos}"
    listener = subprocess.Popen(
        [SUBSCRIBER or "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker_port), "-t", topic,
         "-q", "1", "-C", "1", "-W", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(0.5)  # the subscriber's SUBSCRIBE reaches the broker first
        building = {"id": entity_id, "type": "Building", "name": {"type": "Property", "value": "?"}}
        assert client.post(f"{PREFIX}/entities", json=building).status_code == 201
        endpoint = {
            "uri": f"mqtt://127.0.0.1:{broker_port}/{topic}",
            "accept": "application/json",
            "notifierInfo": [{"key": "MQTT-QoS", "value": qos}],
        }
        subscription = {
            "id": f"urn:ngsi-ld:Subscription:mqtt-{qos}",
            "type": "Subscription",
            "entities": [{"id": entity_id, "type": "Building"}],
            "notification": {"endpoint": endpoint},
        }
        made = client.post(f"{PREFIX}/subscriptions", json=subscription)
        assert made.status_code == 201, made.text
        change = {"name": {"type": "Property", "value": "Mapo-gu"}}
        patched = client.patch(f"{PREFIX}/entities/{entity_id}/attrs", json=change)
        assert patched.status_code == 204, patched.text
        out, err = listener.communicate(timeout=40)
    finally:
        listener.kill()
    assert listener.returncode == 0, err
    message = json.loads(out)
    assert message["metadata"]["Content-Type"] == "application/json"
    notification = message["body"]
    assert notification["type"] == "Notification"
    assert notification["subscriptionId"] == f"urn:ngsi-ld:Subscription:mqtt-{qos}"
    (entity,) = notification["data"]
    assert entity["id"] == entity_id
    assert entity["name"]["value"] == "Mapo-gu"
