"""Subscription notifications (5.8.6): triggers, formats, members, timeInterval, delivery."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conformance_samples import (
    ENTITIES,
    ERR,
    SUBS,
    building,
    change_quality,
    vehicle,
    watch,
)
from fastapi.testclient import TestClient
from notify_server import Receiver, closed_port_url

from cctwin.ngsi.context import CORE_CONTEXT

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_notification_body_headers_and_no_initial_notification(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    receiver_info = [{"key": "X-Auth", "value": "token-1"}]
    sub = watch(receiver.url, notification={"endpoint": {"receiverInfo": receiver_info}})
    assert client.post(SUBS, json=sub).status_code == 201
    change_quality(client)
    (body,) = receiver.wait_for(1)
    # Only the change is notified: the entity existing before the subscription is not.
    assert body["data"][0]["airQualityLevel"]["value"] == 5
    assert set(body) == {"id", "type", "subscriptionId", "notifiedAt", "data"}
    assert body["type"] == "Notification"
    assert body["id"].startswith("urn:ngsi-ld:Notification:")
    assert "@context" not in body["data"][0]
    headers = {k.lower(): v for k, v in receiver.headers[0].items()}
    assert headers["content-type"] == "application/json"
    assert f"<{CORE_CONTEXT}>" in headers["link"]
    assert headers["x-auth"] == "token-1"


@pytest.mark.parametrize(
    ("notification", "expected"),
    [
        ({"format": "keyValues"}, 5),
        ({"format": "concise"}, {"value": 5, "unitCode": "C62"}),
        ({"format": "normalized"}, {"type": "Property", "value": 5, "unitCode": "C62"}),
    ],
)
def test_notification_formats(
    client: TestClient, receiver: Receiver, notification: dict[str, object], expected: object
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url, notification=notification)).status_code == 201
    fragment = {"airQualityLevel": {"type": "Property", "value": 5, "unitCode": "C62"}}
    client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs", json=fragment)
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["airQualityLevel"] == expected


def test_notification_attributes_sys_attrs_lang_and_ld_json(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    notification = {
        "attributes": ["airQualityLevel", "description"],
        "sysAttrs": True,
        "endpoint": {"accept": "application/ld+json"},
    }
    sub = watch(receiver.url, notification=notification, lang="ko")
    assert client.post(SUBS, json=sub).status_code == 201
    change_quality(client)
    (body,) = receiver.wait_for(1)
    entity = body["data"][0]
    assert set(entity) == {
        "id",
        "type",
        "scope",
        "createdAt",
        "modifiedAt",
        "airQualityLevel",
        "description",
        "@context",
    }
    assert entity["description"]["value"] == "탑"
    assert entity["description"]["lang"] == "ko"
    assert body["@context"] == CORE_CONTEXT
    assert entity["@context"] == CORE_CONTEXT
    assert receiver.headers[0]["Content-Type"] == "application/ld+json"


def test_notification_triggers(client: TestClient, receiver: Receiver) -> None:
    triggers = ["attributeDeleted", "entityDeleted"]
    sub = watch(receiver.url, notificationTrigger=triggers, notification={"format": "keyValues"})
    assert client.post(SUBS, json=sub).status_code == 201
    assert client.post(ENTITIES, json=building()).status_code == 201  # attributeCreated: no
    change_quality(client)  # attributeUpdated: no
    assert client.delete(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs/name").status_code == 204
    (deleted_attr,) = receiver.wait_for(1)
    data = deleted_attr["data"][0]
    assert data["name"] == "urn:ngsi-ld:null"
    assert data["airQualityLevel"] == 5
    assert client.delete(f"{ENTITIES}/urn:ngsi-ld:Building:1").status_code == 204
    bodies = receiver.wait_for(2)
    gone = bodies[1]["data"][0]
    assert gone["id"] == "urn:ngsi-ld:Building:1"
    assert "deletedAt" in gone
    assert gone["airQualityLevel"] == "urn:ngsi-ld:null"
    assert len(bodies) == 2


def test_entity_created_trigger_and_scope_q(client: TestClient, receiver: Receiver) -> None:
    sub = watch(receiver.url, notificationTrigger=["entityCreated"], scopeQ="/Seoul/#")
    assert client.post(SUBS, json=sub).status_code == 201
    assert client.post(ENTITIES, json=building(2, scope="/Busan")).status_code == 201
    assert client.post(ENTITIES, json=building(1)).status_code == 201
    change_quality(client)  # entityUpdated is not asked for
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["id"] == "urn:ngsi-ld:Building:1"
    time.sleep(0.5)
    assert len(receiver.bodies) == 1


def test_time_interval_notifies_periodically(client: TestClient, receiver: Receiver) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url, timeInterval=1)).status_code == 201
    # Nothing at creation: the first notification comes one interval later.
    assert client.get(f"{SUBS}/urn:ngsi-ld:Subscription:b").json()["status"] == "active"
    assert receiver.bodies == []
    bodies = receiver.wait_for(2, timeout_s=10)
    assert len(bodies) >= 2
    assert all(b["data"][0]["id"] == "urn:ngsi-ld:Building:1" for b in bodies)


def test_subscription_validation(client: TestClient, receiver: Receiver) -> None:
    bad = [
        watch(receiver.url, timeInterval=0),
        watch(receiver.url, timeInterval=5, watchedAttributes=["name"]),
        watch(receiver.url, notificationTrigger=["sometimes"]),
        watch(receiver.url, notification={"format": "table"}),
        watch(receiver.url, notification={"endpoint": {"accept": "text/plain"}}),
        watch(receiver.url, notification={"endpoint": {"receiverInfo": [{"key": 1}]}}),
        watch(receiver.url, notification={"sysAttrs": "yes"}),
        watch(receiver.url, scopeQ="Seoul"),
    ]
    for body in bad:
        answer = client.post(SUBS, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["type"] == ERR + "BadRequestData"


def test_subscription_dataset_id_and_jsonld_context(client: TestClient, receiver: Receiver) -> None:
    assert client.post(ENTITIES, json=vehicle()).status_code == 201
    sub = {
        "id": "urn:ngsi-ld:Subscription:v",
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "datasetId": ["urn:ngsi-ld:Dataset:gps"],
        "jsonldContext": CORE_CONTEXT,
        "notification": {"endpoint": {"uri": receiver.url}},
    }
    assert client.post(SUBS, json=sub).status_code == 201
    fragment = {"speed": {"type": "Property", "value": 11}}
    assert client.post(f"{ENTITIES}/urn:ngsi-ld:Vehicle:1/attrs", json=fragment).status_code == 204
    (body,) = receiver.wait_for(1)
    speed = body["data"][0]["speed"]
    assert speed == {"type": "Property", "value": 99, "datasetId": "urn:ngsi-ld:Dataset:gps"}
    bad = sub | {"id": "urn:ngsi-ld:Subscription:w", "datasetId": [3]}
    assert client.post(SUBS, json=bad).status_code == 400


def test_subscription_patch_null_removes_a_member(client: TestClient, receiver: Receiver) -> None:
    assert client.post(SUBS, json=watch(receiver.url, q="airQualityLevel>3")).status_code == 201
    url = f"{SUBS}/urn:ngsi-ld:Subscription:b"
    assert client.patch(url, json={"q": None}).status_code == 204
    assert "q" not in client.get(url).json()
    broken = client.patch(url, json={"notification": {"format": "keyValues", "endpoint": None}})
    assert broken.status_code == 400


def test_show_changes_gives_previous_values(client: TestClient, receiver: Receiver) -> None:
    located = {"locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Seoul"}}
    assert client.post(ENTITIES, json=building(**located)).status_code == 201
    sub = watch(receiver.url, notification={"showChanges": True})
    assert client.post(SUBS, json=sub).status_code == 201
    fragment = {
        "name": {"type": "Property", "value": "Mapo"},
        "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Busan"},
        "airQualityLevel": {"type": "Property", "value": 4, "unitCode": "C62"},
    }
    assert (
        client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs", json=fragment).status_code == 204
    )
    (body,) = receiver.wait_for(1)
    data = body["data"][0]
    assert data["name"]["previousValue"] == "Gongdeok"
    assert data["locatedAt"]["previousObject"] == "urn:ngsi-ld:City:Seoul"
    assert "previousValue" not in data["airQualityLevel"]  # the same value: no change
    assert "previousValue" not in data["description"]


def test_replacing_an_entity_notifies_the_attributes_it_drops(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(ENTITIES, json=building()).status_code == 201
    sub = watch(receiver.url, notificationTrigger=["attributeDeleted"])
    assert client.post(SUBS, json=sub).status_code == 201
    body = {"type": "Building", "name": {"type": "Property", "value": "Mapo"}}
    assert client.put(f"{ENTITIES}/urn:ngsi-ld:Building:1", json=body).status_code == 204
    (notification,) = receiver.wait_for(1)
    data = notification["data"][0]
    assert data["airQualityLevel"]["value"] == "urn:ngsi-ld:null"
    assert data["name"]["value"] == "Mapo"


def test_an_unreachable_endpoint_delays_only_its_own_subscription(
    client: TestClient, receiver: Receiver
) -> None:
    away = watch(closed_port_url(), sub_id="urn:ngsi-ld:Subscription:away")
    assert client.post(SUBS, json=away).status_code == 201
    assert client.post(SUBS, json=watch(receiver.url)).status_code == 201
    assert client.post(ENTITIES, json=building()).status_code == 201
    for value in (5, 6, 7):
        change_quality(client, value)
    bodies = receiver.wait_for(4, timeout_s=10)
    values = [b["data"][0]["airQualityLevel"]["value"] for b in bodies]
    assert values == [4, 5, 6, 7]  # every change, in order, while the other one fails
