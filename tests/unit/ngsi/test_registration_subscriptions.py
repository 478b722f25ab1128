"""/ngsi-ld/v1/csourceSubscriptions: management (5.11.2-6) and ContextSourceNotifications (5.11.7).

Test names cite the ETSI NGSI-LD conformance test (TP) whose scenario they cover.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from notify_server import Receiver, closed_port_url

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

REGS = "/ngsi-ld/v1/csourceRegistrations"
SUBS = "/ngsi-ld/v1/csourceSubscriptions"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
SUB_ID = "urn:ngsi-ld:Subscription:csr"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def subscription(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": SUB_ID,
        "type": "Subscription",
        "entities": [{"type": "Building"}],
        "notification": {"format": "keyValues", "endpoint": {"uri": uri}},
        **extra,
    }


def registration(n: int = 1, entity_type: str = "Building", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{n}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": entity_type}], "propertyNames": ["name"]}],
        "endpoint": "http://my.csource.org:1026",
        **extra,
    }


def problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == ERR + kind


def test_038_01_040_create_and_retrieve(client: TestClient) -> None:
    body = subscription("http://127.0.0.1:9/notify", description="district sources")
    created = client.post(SUBS, json=body)
    assert created.status_code == 201
    assert created.content == b""
    assert created.headers["location"] == f"{SUBS}/{SUB_ID}"
    got = client.get(f"{SUBS}/{SUB_ID}")
    assert got.status_code == 200
    view = got.json()
    for key in ("id", "type", "entities", "description"):
        assert view[key] == body[key]
    assert view["notification"]["endpoint"]["uri"] == "http://127.0.0.1:9/notify"
    assert view["status"] == "active"
    ld = client.get(f"{SUBS}/{SUB_ID}", headers={"Accept": "application/ld+json"})
    assert "@context" in ld.json()


def test_038_02_generated_id(client: TestClient) -> None:
    body = subscription("http://127.0.0.1:9/notify")
    del body["id"]
    created = client.post(SUBS, json=body)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location.startswith(f"{SUBS}/urn:ngsi-ld:Subscription:")
    assert client.get(location).json()["id"] == location.rsplit("/", 1)[1]


def test_038_03_to_038_09_invalid_subscriptions(client: TestClient) -> None:
    uri = "http://127.0.0.1:9/notify"
    assert client.post(SUBS, json=subscription(uri)).status_code == 201
    problem(client.post(SUBS, json=subscription(uri)), 409, "AlreadyExists")
    for bad in (
        {k: v for k, v in subscription(uri).items() if k != "notification"},
        subscription(uri, type="NotASubscription"),
        subscription(uri, id="not a uri"),
        subscription(uri, watchedAttributes=[]),
        subscription(uri, expiresAt="2001-01-01T00:00:00Z"),
        subscription(uri, q="name=="),
        subscription(uri, csf="(broken"),
        subscription(uri, timeInterval=0),
        subscription(uri, timeInterval=5, watchedAttributes=["name"]),
        subscription(uri, geoQ={"georel": "near", "geometry": "Point", "coordinates": [1, 2]}),
    ):
        problem(client.post(SUBS, json=bad), 400, "BadRequestData")


def test_038_05_expired_status(client: TestClient) -> None:
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1.2))
    assert (
        client.post(SUBS, json=subscription("http://127.0.0.1:9/n", expiresAt=soon)).status_code
        == 201
    )
    assert client.get(f"{SUBS}/{SUB_ID}").json()["status"] == "active"
    time.sleep(1.5)
    view = client.get(f"{SUBS}/{SUB_ID}").json()
    assert view["status"] == "expired"
    assert view["expiresAt"] == soon


def test_039_update_041_list_042_delete(client: TestClient) -> None:
    uri = "http://127.0.0.1:9/notify"
    for n in range(3):
        assert (
            client.post(
                SUBS, json=subscription(uri, id=f"urn:ngsi-ld:Subscription:{n}")
            ).status_code
            == 201
        )
    page = client.get(SUBS, params={"limit": 2, "offset": 1, "count": "true"})
    assert [s["id"] for s in page.json()] == [
        "urn:ngsi-ld:Subscription:1",
        "urn:ngsi-ld:Subscription:2",
    ]
    assert page.headers["NGSILD-Results-Count"] == "3"
    assert 'rel="prev"' in page.headers["link"]
    url = f"{SUBS}/urn:ngsi-ld:Subscription:0"
    assert (
        client.patch(url, json={"isActive": False, "subscriptionName": "paused"}).status_code == 204
    )
    view = client.get(url).json()
    assert view["status"] == "paused"
    assert view["subscriptionName"] == "paused"
    problem(client.patch(url, json={"type": "Registration"}), 400, "BadRequestData")  # 039_02
    problem(client.patch(f"{SUBS}/invalidURI", json={"isActive": True}), 400, "BadRequestData")
    problem(
        client.patch(f"{SUBS}/urn:ngsi-ld:Subscription:404", json={"isActive": True}),
        404,
        "ResourceNotFound",
    )
    broken = client.patch(url, content=b"{no", headers={"Content-Type": "application/json"})
    problem(broken, 400, "InvalidRequest")
    assert client.delete(url).status_code == 204  # 042_01
    problem(client.get(url), 404, "ResourceNotFound")
    problem(client.delete(url), 404, "ResourceNotFound")  # 042_03
    problem(client.delete(f"{SUBS}/invalidURI"), 400, "BadRequestData")  # 042_02


def test_047_02_to_047_05_trigger_reasons(client: TestClient, receiver: Receiver) -> None:
    assert client.post(REGS, json=registration(1)).status_code == 201
    assert client.post(REGS, json=registration(2, "Vehicle")).status_code == 201
    assert client.post(SUBS, json=subscription(receiver.url)).status_code == 201
    (initial,) = receiver.wait_for(1)  # on subscription: the matching ones only
    assert initial["type"] == "ContextSourceNotification"
    assert initial["subscriptionId"] == SUB_ID
    assert initial["triggerReason"] == "newlyMatching"
    assert [r["id"] for r in initial["data"]] == [registration(1)["id"]]
    assert initial["data"][0]["information"][0]["entities"][0]["type"] == "Building"
    assert initial["notifiedAt"].endswith("Z")
    url = f"{REGS}/{registration(1)['id']}"
    assert client.patch(url, json={"endpoint": "http://moved.example:1026"}).status_code == 204
    assert client.post(REGS, json=registration(3)).status_code == 201
    client.patch(
        f"{REGS}/{registration(2)['id']}", json={"endpoint": "http://x.example"}
    )  # no match
    moved = {"information": [{"entities": [{"type": "Vehicle"}]}]}
    assert client.patch(url, json=moved).status_code == 204
    assert client.delete(f"{REGS}/{registration(3)['id']}").status_code == 204
    bodies = receiver.wait_for(5)
    reasons = [(b["triggerReason"], b["data"][0]["id"]) for b in bodies[1:]]
    assert reasons == [
        ("updated", registration(1)["id"]),
        ("newlyMatching", registration(3)["id"]),
        ("noLongerMatching", registration(1)["id"]),
        ("noLongerMatching", registration(3)["id"]),
    ]
    assert bodies[2]["data"][0]["endpoint"] == "http://my.csource.org:1026"
    assert bodies[1]["data"][0]["endpoint"] == "http://moved.example:1026"


def test_047_watched_attributes_csf_and_inactive(client: TestClient, receiver: Receiver) -> None:
    watched = subscription(receiver.url, watchedAttributes=["name"], csf='mode=="inclusive"')
    assert client.post(SUBS, json=watched).status_code == 201
    paused = subscription(receiver.url, id="urn:ngsi-ld:Subscription:off", isActive=False)
    assert client.post(SUBS, json=paused).status_code == 201
    other = registration(1)
    other["information"][0]["propertyNames"] = ["height"]
    assert client.post(REGS, json=other).status_code == 201  # not a watched attribute
    assert (
        client.post(
            REGS, json=registration(2, mode="auxiliary", operations=["retrieveOps"])
        ).status_code
        == 201
    )
    assert client.post(REGS, json=registration(3)).status_code == 201
    (body,) = receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.bodies) == 1
    assert body["data"][0]["id"] == registration(3)["id"]


def test_047_01_time_interval_notifies_periodically(client: TestClient, receiver: Receiver) -> None:
    assert client.post(REGS, json=registration(1)).status_code == 201
    assert client.post(SUBS, json=subscription(receiver.url, timeInterval=1)).status_code == 201
    bodies = receiver.wait_for(2, timeout_s=10)
    assert len(bodies) >= 2
    assert all(b["data"][0]["id"] == registration(1)["id"] for b in bodies)
    client.patch(f"{REGS}/{registration(1)['id']}", json={"endpoint": "http://x.example"})
    assert client.get(f"{SUBS}/{SUB_ID}").json()["timeInterval"] == 1


def test_failed_delivery_marks_the_subscription(client: TestClient) -> None:
    assert client.post(REGS, json=registration(1)).status_code == 201
    assert client.post(SUBS, json=subscription(closed_port_url())).status_code == 201
    deadline = time.monotonic() + 20
    view = client.get(f"{SUBS}/{SUB_ID}").json()
    while view["status"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
        view = client.get(f"{SUBS}/{SUB_ID}").json()
    assert view["status"] == "failed"
    assert view["notification"]["timesFailed"] >= 1
    assert "lastFailure" in view["notification"]


def test_subscriptions_are_per_tenant_and_persist(client: TestClient, receiver: Receiver) -> None:
    lab = {"NGSILD-Tenant": "lab"}
    assert client.post(SUBS, json=subscription(receiver.url), headers=lab).status_code == 201
    problem(client.get(f"{SUBS}/{SUB_ID}"), 404, "ResourceNotFound")
    assert client.post(REGS, json=registration(1)).status_code == 201  # default tenant: silent
    assert client.post(REGS, json=registration(2), headers=lab).status_code == 201
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["id"] == registration(2)["id"]
    services = client.app.state.services  # type: ignore[attr-defined]
    store = services.ngsi_tenants.get("lab").registry.repository
    assert SUB_ID in store.load_csource_subscriptions()


def test_scope_and_temporal_queries_of_a_subscription(
    client: TestClient, receiver: Receiver
) -> None:
    scoped = subscription(
        receiver.url,
        scopeQ="/Madrid/#",
        temporalQ={"timerel": "after", "timeAt": "2026-01-01T00:00:00Z"},
    )
    assert client.post(SUBS, json=scoped).status_code == 201
    later = {"startAt": "2026-06-01T00:00:00Z"}
    assert (
        client.post(
            REGS, json=registration(1, scope="/Berlin", observationInterval=later)
        ).status_code
        == 201
    )
    assert (
        client.post(REGS, json=registration(2, scope="/Madrid/Sol")).status_code == 201
    )  # no interval
    assert (
        client.post(
            REGS, json=registration(3, scope="/Madrid/Sol", observationInterval=later)
        ).status_code
        == 201
    )
    (body,) = receiver.wait_for(1)
    assert body["data"][0]["id"] == registration(3)["id"]
    problem(
        client.post(SUBS, json=subscription(receiver.url, id="urn:x:1", scopeQ="Madrid")),
        400,
        "BadRequestData",
    )


def test_047_10_047_14_temporal_and_geo_subscriptions(
    client: TestClient, receiver: Receiver
) -> None:
    temporal = {"timerel": "after", "timeAt": "2020-06-01T22:07:00Z", "timeproperty": "observedAt"}
    geo = {"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": [-8.52, 41.2]}
    assert client.post(SUBS, json=subscription(receiver.url, temporalQ=temporal)).status_code == 201
    near = subscription(
        receiver.url, id="urn:ngsi-ld:Subscription:geo", geoQ={**geo, "geoproperty": "location"}
    )
    assert client.post(SUBS, json=near).status_code == 201
    interval = {"startAt": "2020-08-01T22:07:00Z", "endAt": "2021-08-01T21:07:00Z"}
    assert client.post(REGS, json=registration(1, observationInterval=interval)).status_code == 201
    where = {"type": "Point", "coordinates": [-8.521, 41.2]}
    assert client.post(REGS, json=registration(2, location=where)).status_code == 201
    far = {"type": "Point", "coordinates": [10.0, 50.0]}
    assert client.post(REGS, json=registration(3, location=far)).status_code == 201
    bodies = receiver.wait_for(2)
    time.sleep(0.3)
    got = sorted((b["subscriptionId"], b["data"][0]["id"]) for b in receiver.bodies)
    assert got == [
        ("urn:ngsi-ld:Subscription:csr", registration(1)["id"]),
        ("urn:ngsi-ld:Subscription:geo", registration(2)["id"]),
    ]
    assert all(b["triggerReason"] == "newlyMatching" for b in bodies)


def test_ld_json_receivers_get_the_context_and_sys_attrs(
    client: TestClient, receiver: Receiver
) -> None:
    notification = {
        "endpoint": {"uri": receiver.url, "accept": "application/ld+json"},
        "sysAttrs": True,
    }
    assert (
        client.post(SUBS, json=subscription(receiver.url, notification=notification)).status_code
        == 201
    )
    assert client.post(REGS, json=registration(1)).status_code == 201
    (body,) = receiver.wait_for(1)
    assert body["@context"] == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
    assert "createdAt" in body["data"][0]
    assert "modifiedAt" in body["data"][0]


def test_an_expiring_registration_is_no_longer_matching(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post(SUBS, json=subscription(receiver.url)).status_code == 201
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    assert client.post(REGS, json=registration(1, expiresAt=soon)).status_code == 201
    first, second = receiver.wait_for(2, timeout_s=10)
    assert first["triggerReason"] == "newlyMatching"
    assert second["triggerReason"] == "noLongerMatching"
    assert second["data"][0]["id"] == registration(1)["id"]
    time.sleep(0.7)
    assert len(receiver.bodies) == 2  # told once
