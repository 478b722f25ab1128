"""/ngsi-ld/v1/subscriptions: management, matching, HTTP notifications, failure and backoff."""

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from notify_server import Receiver, closed_port_url

from cctwin.app import Services

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")
SUBS = "/ngsi-ld/v1/subscriptions"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def subscription(uri: str, **extra: object) -> dict[str, object]:
    return {
        "id": "urn:ngsi-ld:Subscription:crowd",
        "type": "Subscription",
        "entities": [{"type": "CrowdFlowObserved"}],
        "watchedAttributes": ["peopleCount"],
        "q": "peopleCount>50",
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}},
        **extra,
    }


def zone(count: int, zone_id: str = "a") -> list[dict[str, object]]:
    return [
        {
            "id": f"urn:ngsi-ld:CrowdFlowObserved:cam:{zone_id}",
            "type": "CrowdFlowObserved",
            "peopleCount": {"type": "Property", "value": count},
            "riskLevel": {"type": "Property", "value": "normal"},
        }
    ]


def test_matching_change_is_notified(client: TestClient, receiver: Receiver) -> None:
    assert client.post(SUBS, json=subscription(receiver.url)).status_code == 201
    ops = "/ngsi-ld/v1/entityOperations/upsert"
    client.post(ops, json=zone(10))  # q does not match: no notification
    client.post(ops, json=zone(70))
    (body,) = receiver.wait_for(1)
    assert body["type"] == "Notification"
    assert body["subscriptionId"] == "urn:ngsi-ld:Subscription:crowd"
    assert body["data"][0]["peopleCount"]["value"] == 70
    # The notifier records the delivery just after the endpoint answered.
    deadline = time.monotonic() + 20
    status = client.get(f"{SUBS}/urn:ngsi-ld:Subscription:crowd").json()
    while "timesSent" not in status["notification"] and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.get(f"{SUBS}/urn:ngsi-ld:Subscription:crowd").json()
    assert status["status"] == "active"
    assert status["notification"]["status"] == "ok"
    assert status["notification"]["timesSent"] == 1
    assert "lastSuccess" in status["notification"]


def test_subscription_management_and_bad_input(client: TestClient, receiver: Receiver) -> None:
    assert client.post(SUBS, json=subscription(receiver.url)).status_code == 201
    assert client.post(SUBS, json=subscription(receiver.url)).status_code == 409
    listed = client.get(SUBS).json()
    assert [s["id"] for s in listed] == ["urn:ngsi-ld:Subscription:crowd"]
    url = f"{SUBS}/urn:ngsi-ld:Subscription:crowd"
    assert client.patch(url, json={"isActive": False}).status_code == 204
    assert client.get(url).json()["status"] == "paused"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    for bad in (
        {"type": "Subscription", "notification": {"endpoint": {"uri": receiver.url}}},
        subscription("ftp://x"),
        subscription(receiver.url, type="Other"),
        subscription(receiver.url, expiresAt="2001-01-01T00:00:00Z"),
        subscription(receiver.url, q="peopleCount>>"),
        subscription(receiver.url, throttling=-1),
    ):
        response = client.post(SUBS, json=bad)
        assert response.status_code == 400, bad
        assert response.json()["type"].endswith("BadRequestData")


def test_unreachable_endpoint_is_failed_with_reason(client: TestClient, services: Services) -> None:
    services.ngsi.subscriptions.max_backoff_s = 0.5
    sub = subscription(closed_port_url())
    assert client.post(SUBS, json=sub).status_code == 201
    failed = threading.Event()
    manager = services.ngsi.subscriptions
    original = manager._failed

    def spy(s: object, reason: str) -> None:
        original(s, reason)  # type: ignore[arg-type]
        if manager.subscriptions["urn:ngsi-ld:Subscription:crowd"].failures >= 2:
            failed.set()

    manager._failed = spy  # type: ignore[method-assign]
    client.post("/ngsi-ld/v1/entityOperations/upsert", json=zone(99))
    assert failed.wait(30)  # retried: at least two attempts
    status = client.get(f"{SUBS}/urn:ngsi-ld:Subscription:crowd").json()
    assert status["status"] == "failed"
    assert status["notification"]["status"] == "failed"
    assert status["notification"]["timesFailed"] >= 2
    assert "lastFailure" in status["notification"]
    assert status["notification"]["lastErrorReason"]


def test_throttled_changes_are_merged_not_lost(
    client: TestClient, receiver: Receiver, services: Services
) -> None:
    sub = subscription(receiver.url, throttling=3600, q="peopleCount>0")
    assert client.post(SUBS, json=sub).status_code == 201
    ops = "/ngsi-ld/v1/entityOperations/upsert"
    client.post(ops, json=zone(1, "a"))
    receiver.wait_for(1)
    for count in (2, 3, 4):  # within the throttling hour: held back, newest kept
        client.post(ops, json=zone(count, "a"))
    client.post(ops, json=zone(9, "b"))
    manager = services.ngsi.subscriptions
    sub_id = "urn:ngsi-ld:Subscription:crowd"
    deadline = time.monotonic() + 20
    while len(manager._held.get(sub_id, {})) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert manager.loop is not None
    manager.loop.call_soon_threadsafe(manager._release, sub_id)  # the hour is over
    bodies = receiver.wait_for(2)
    assert len(bodies) == 2
    data = {e["id"][-1]: e["peopleCount"]["value"] for e in bodies[1]["data"]}
    assert data == {"a": 4, "b": 9}
