"""ETSI NGSI-LD conformance cases of subscriptions, common behaviours and distributed reads.

Each test names the suite's cases (TP/NGSI-LD/...) it mirrors; the behaviour is the spec's
(CIM 009 V1.8.1, and V1.9 where a case says so).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from context_source import PREFIX, ContextSource, Reply
from factories import grant
from fastapi.testclient import TestClient
from mqtt_broker import MqttBroker
from notify_server import Receiver, closed_port_url

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.ngsi import federation
from cctwin.ngsi.broker import EntityQuery

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")
SUBS = f"{PREFIX}/subscriptions"
ENTITIES = f"{PREFIX}/entities"
REGS = f"{PREFIX}/csourceRegistrations"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
CAR = "urn:ngsi-ld:Vehicle:car1"
CONFIG = """
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    tmp_path = tmp_path_factory.mktemp("suite_b")
    text = CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media")
    return Services(parse_config(text), start_workers=False)


@pytest.fixture(scope="module")
def shared_client(services: Services) -> Iterator[TestClient]:
    # One app for the module (an app per test cost ~0.5 s); `client` empties it after each.
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as test_client:
        test_client.headers.update(grant(services.store, "ngsi-tests", "integrator"))
        yield test_client


@pytest.fixture
def client(shared_client: TestClient, services: Services) -> Iterator[TestClient]:
    yield shared_client
    ngsi = services.ngsi_tenants.default
    for sub_id in list(ngsi.subscriptions.subscriptions):
        ngsi.subscriptions.delete(sub_id)
    for sub_id in list(ngsi.csource_subscriptions.subscriptions):
        ngsi.csource_subscriptions.delete(sub_id)
    for reg_id in list(ngsi.registry.registrations):
        ngsi.registry.delete(reg_id)
    for entity in ngsi.broker.query(EntityQuery(id_pattern=re.compile("."))):
        ngsi.broker.delete(entity.id)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def source() -> Iterator[ContextSource]:
    server = ContextSource()
    yield server
    server.close()


def subscription(uri: str = "http://127.0.0.1:9/notify", **extra: Any) -> dict[str, Any]:
    notification = extra.pop("notification", {})
    return {
        "type": "Subscription",
        "entities": [{"type": "Building"}],
        "notification": {"endpoint": {"uri": uri}, **notification},
        **extra,
    }


def refused(response: Any, kind: str = "BadRequestData", status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == ERR + kind
    assert response.json()["title"]


def test_an_empty_subscription_id_is_not_a_uri(client: TestClient) -> None:
    # 028_03_02: an empty id is no URI (only a missing one is generated, 5811_01_03).
    refused(client.post(SUBS, json=subscription(id="")))
    created = client.post(SUBS, json=subscription())
    assert created.status_code == 201
    assert client.get(created.headers["location"]).status_code == 200


@pytest.mark.parametrize(
    "notification",
    [
        {"pick": ["name"], "omit": ["name"]},  # 028_08_01
        {"pick": ["name"], "attributes": ["name"]},  # 028_08_02
        {"omit": ["name"], "attributes": ["name"]},  # 028_08_03
        {"attributes": []},  # 028_09_03
        {"pick": []},  # 028_09_04
        {"omit": []},  # 028_09_05
        {"format": "keyValues", "showChanges": True},  # 028_09_01
        {"format": "simplified", "showChanges": True},  # 028_09_02
        {"attributes": ["id", "name"]},  # Table 5.2.14-1: attributes names no id/type/scope
        {"join": "sideways"},
        {"joinLevel": 0},
        {"endpoint": {"uri": "http://127.0.0.1:9/n", "timeout": 0}},  # Table 5.2.15-1
        {"endpoint": {"uri": "http://127.0.0.1:9/n", "cooldown": -1}},
        {
            "endpoint": {
                "uri": "http://127.0.0.1:9/n",
                "receiverInfo": [{"key": "a b", "value": "v"}],
            }
        },
        {
            "endpoint": {
                "uri": "http://127.0.0.1:9/n",
                "receiverInfo": [{"key": "k", "value": "a\nb"}],
            }
        },
    ],
)
def test_notification_parameters_restrictions(client: TestClient, notification: Any) -> None:
    refused(client.post(SUBS, json=subscription(notification=notification)))


def test_show_changes_is_allowed_with_normalized(client: TestClient) -> None:
    # 028_09_06: the control of the restriction above.
    body = subscription(notification={"format": "normalized", "showChanges": True})
    assert client.post(SUBS, json=body).status_code == 201


@pytest.mark.parametrize(
    ("endpoint", "status"),
    [
        (
            {
                "receiverInfo": [{"key": "Authorization", "value": "Bearer abc"}],
                "notifierInfo": [{"key": "Prefer", "value": "body=json"}],
            },
            201,
        ),  # 028_10_01
        ({"receiverInfo": [{"key": "K", "value": 42}]}, 400),  # 028_10_02
        ({"notifierInfo": [{"key": "K", "value": {"a": 1}}]}, 400),  # 028_10_03
        ({"receiverInfo": [{"key": "K"}]}, 400),  # 028_10_04
        ({"receiverInfo": [{"key": 5, "value": "v"}]}, 400),  # 028_10_05
    ],
)
def test_endpoint_key_value_pairs_are_strings(
    client: TestClient, endpoint: dict[str, Any], status: int
) -> None:
    body = subscription()
    body["notification"]["endpoint"].update(endpoint)
    assert client.post(SUBS, json=body).status_code == status


def test_an_invalid_csf_is_refused(client: TestClient) -> None:
    # 5811_02_03: csf is a query (4.9); it is checked when the subscription is made.
    refused(client.post(SUBS, json=subscription(csf="((")))
    assert client.post(SUBS, json=subscription(csf='sourceType=="sensor"')).status_code == 201


def test_read_only_and_unknown_members_are_ignored(client: TestClient) -> None:
    # 5811_02_04: members only the broker sets are ignored, as are members 5.2.12 lacks.
    body = subscription(
        id="urn:ngsi-ld:Subscription:ro",
        status="expired",
        __context="http://localhost:1111/hijacked.jsonld",
    )
    body["notification"]["timesSent"] = 42
    assert client.post(SUBS, json=body).status_code == 201
    got = client.get(f"{SUBS}/urn:ngsi-ld:Subscription:ro")
    assert "hijacked" not in got.text
    assert got.json()["status"] == "active"
    assert "timesSent" not in got.json()["notification"]


def test_an_unavailable_jsonld_context_is_503(client: TestClient) -> None:
    # 028_07_02: the jsonldContext is fetched when the subscription is made.
    body = subscription(jsonldContext=closed_port_url())
    refused(client.post(SUBS, json=body), "LdContextNotAvailable", 503)


def test_an_expired_subscription_is_reactivated_by_a_future_expiry(client: TestClient) -> None:
    # 029_10_01 and 029_11_01: a new expiresAt in the future makes it active again; one in
    # the past is BadRequestData.
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1.5))
    body = subscription(id="urn:ngsi-ld:Subscription:exp", expiresAt=soon)
    assert client.post(SUBS, json=body).status_code == 201
    url = f"{SUBS}/urn:ngsi-ld:Subscription:exp"
    deadline = time.monotonic() + 5
    while client.get(url).json()["status"] != "expired" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.get(url).json()["status"] == "expired"
    refused(client.patch(url, json={"expiresAt": "2000-01-01T00:00:00Z"}))
    assert client.patch(url, json={"expiresAt": "2099-01-01T00:00:00Z"}).status_code == 204
    assert client.get(url).json()["status"] == "active"


def test_patch_or_delete_without_an_id_is_405(client: TestClient) -> None:
    # 029_01_01: PATCH (or DELETE) on the collection is not a method it has.
    assert client.patch(f"{SUBS}/", json={"q": "a>1"}).status_code == 405
    assert client.delete(f"{SUBS}/").status_code == 405


def test_notifications_pick_and_omit_members(client: TestClient, receiver: Receiver) -> None:
    # 046_42_01 and 046_43_01 (4.21 pick/omit in NotificationParams).
    building = {
        "id": "urn:ngsi-ld:Building:046_42",
        "type": "Building",
        "name": {"type": "Property", "value": "Eiffel"},
        "airQualityLevel": {"type": "Property", "value": 3},
    }
    assert client.post(ENTITIES, json=building).status_code == 201
    pick = subscription(receiver.url, id="urn:x:pick", notification={"pick": ["id", "name"]})
    omit = subscription(receiver.url, id="urn:x:omit", notification={"omit": ["name"]})
    assert client.post(SUBS, json=pick).status_code == 201
    assert client.post(SUBS, json=omit).status_code == 201
    fragment = {"name": {"type": "Property", "value": "Tour Eiffel"}}
    assert client.patch(f"{ENTITIES}/{building['id']}/attrs", json=fragment).status_code == 204
    data = {b["subscriptionId"]: b["data"] for b in receiver.wait_for(2)}
    name = {"type": "Property", "value": "Tour Eiffel"}
    assert data["urn:x:pick"] == [{"id": building["id"], "name": name}]
    assert data["urn:x:omit"] == [
        {"id": building["id"], "type": "Building", "airQualityLevel": building["airQualityLevel"]}
    ]


def test_source_identity(client: TestClient) -> None:
    # 061_01_01..05 (V1.9 5.15, 5.2.40): id, type, alias per tenant, uptime, time.
    url = f"{PREFIX}/info/sourceIdentity"
    mine = client.get(url).json()
    assert mine["type"] == "ContextSourceIdentity"
    assert mine["id"].startswith("urn:")
    assert re.fullmatch(r"PT\d+(\.\d+)?S", mine["contextSourceUptime"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z", mine["contextSourceTimeAt"])
    tenant_a = client.get(url, headers={"NGSILD-Tenant": "alias-a"}).json()
    tenant_b = client.get(url, headers={"NGSILD-Tenant": "alias-b"}).json()
    aliases = {mine["contextSourceAlias"], tenant_a["contextSourceAlias"]}
    assert len(aliases | {tenant_b["contextSourceAlias"]}) == 3
    again = client.get(url, headers={"NGSILD-Tenant": "alias-a"}).json()
    assert again["contextSourceAlias"] == tenant_a["contextSourceAlias"]


def test_geojson_carries_its_context_unless_json_is_preferred(client: TestClient) -> None:
    # 636_01_01..03 (6.3.6): @context in a GeoJSON body by default; `Prefer: body=json`
    # leaves it to the Link header; a 204 has no Content-Length.
    car = {
        "id": "urn:ngsi-ld:Vehicle:geo636",
        "type": "Vehicle",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [8.5, 41]}},
    }
    assert client.post(ENTITIES, json=car).status_code == 201
    geo = {"Accept": "application/geo+json"}
    embedded = client.get(ENTITIES, params={"type": "Vehicle"}, headers=geo)
    assert embedded.headers["content-type"].startswith("application/geo+json")
    assert "@context" in embedded.json()
    plain = client.get(ENTITIES, params={"type": "Vehicle"}, headers=geo | {"Prefer": "body=json"})
    assert "@context" not in plain.json()
    assert "link" in plain.headers
    deleted = client.delete(f"{ENTITIES}/{car['id']}")
    assert deleted.status_code == 204
    assert "content-length" not in deleted.headers


def test_a_malformed_weight_keeps_the_default(client: TestClient) -> None:
    # 045_04_01..04 (RFC 9110 5.3.2 via 6.3.4).
    car = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 1}}
    assert client.post(ENTITIES, json=car).status_code == 201
    cases = {
        "application/json;q=0, */*": "application/ld+json",
        "application/json;q=0, application/ld+json": "application/ld+json",
        "*/*;q=0.9, application/ld+json;q=0.8": "application/json",
        "application/ld+json;q=notanumber": "application/ld+json",
    }
    for accept, expected in cases.items():
        got = client.get(f"{ENTITIES}/{CAR}", headers={"Accept": accept})
        assert got.status_code == 200, accept
        assert got.headers["content-type"].startswith(expected), accept


def register(client: TestClient, source: ContextSource, **extra: Any) -> None:
    body = {
        "id": "urn:ngsi-ld:ContextSourceRegistration:b",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Vehicle"}]}],
        "endpoint": source.url,
        **extra,
    }
    assert client.post(REGS, json=body).status_code == 201, body


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(403, {"type": "x"}), "299"),  # 6317_01_01: an error answer
        (Reply(200, "not a json document"), "111"),  # 6317_01_02: an invalid payload
        (Reply(404, {"type": "x"}), None),  # 6317_01_03: not found is not abnormal
    ],
)
def test_sources_answering_abnormally_are_named_in_a_warning(
    client: TestClient, source: ContextSource, reply: Reply, code: str | None
) -> None:
    # 6317_01 (6.3.17): NGSILD-Warning on distributed GETs; nothing of theirs is kept.
    register(client, source)
    source.replies[("GET", f"{PREFIX}/entities/{CAR}")] = reply
    got = client.get(f"{ENTITIES}/{CAR}")
    assert got.status_code == 404
    warning = got.headers.get("ngsild-warning")
    if code is None:
        assert warning is None
    else:
        assert warning is not None
        assert warning.startswith(code), warning


def test_csf_picks_the_sources_a_query_asks(client: TestClient, source: ContextSource) -> None:
    # 5724_01_01 and 5724_01_02 (5.7.2.4): csf is a query on the registrations.
    register(client, source, sourceType="sensor")
    source.entities[CAR] = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 9}}
    matching = client.get(ENTITIES, params={"type": "Vehicle", "csf": 'sourceType=="sensor"'})
    assert [e["id"] for e in matching.json()] == [CAR]
    asked = len(source.received)
    other = client.get(ENTITIES, params={"type": "Vehicle", "csf": 'sourceType=="archive"'})
    assert other.status_code == 200
    assert other.json() == []
    assert len(source.received) == asked  # the source was not asked


@pytest.mark.parametrize(
    ("prefer", "expected"),
    [
        ("ngsi-ld=1.0", "ngsi-ld=1.0"),  # 436_09_01
        ("NGSI-LD=1.0", "ngsi-ld=1.0"),  # 436_10_01
        ("Ngsi-Ld=1.0", "ngsi-ld=1.0"),  # 436_10_02
        ('ngsi-ld="1.0"', "ngsi-ld=1.0"),  # 436_10_03
        ("ngsi-ld=1.0;q=0.1", "ngsi-ld=1.0"),  # 436_10_04
        ("respond-async, ngsi-ld=1.0", "ngsi-ld=1.0"),  # 436_10_05
        ("respond-async", None),  # 436_10_06
    ],
)
def test_a_preferred_version_leaves_a_subscription_unaltered(
    client: TestClient, prefer: str, expected: str | None
) -> None:
    # 4.3.6.8: a Subscription has no version fallbacks; it answers 200 as it is.
    body = subscription(id="urn:x:v", notification={"attributes": ["airQualityLevel"]})
    assert client.post(SUBS, json=body).status_code == 201
    got = client.get(f"{SUBS}/urn:x:v", headers={"Prefer": prefer})
    assert got.status_code == 200
    assert got.headers.get("preference-applied") == expected
    assert got.json()["notification"]["attributes"] == ["airQualityLevel"]


@pytest.fixture
def mqtt() -> Iterator[MqttBroker]:
    broker = MqttBroker()
    yield broker
    broker.close()


def a_building(client: TestClient) -> None:
    building = {
        "id": "urn:ngsi-ld:Building:m",
        "type": "Building",
        "name": {"type": "Property", "value": "?"},
    }
    assert client.post(ENTITIES, json=building).status_code == 201


def building_changes(client: TestClient, name: str) -> None:
    fragment = {"name": {"type": "Property", "value": name}}
    assert (
        client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:m/attrs", json=fragment).status_code == 204
    )


@pytest.mark.parametrize("qos", ["0", "1", "2"])
def test_mqtt_notifications(client: TestClient, mqtt: MqttBroker, qos: str) -> None:
    # 058_01, 058_02 (5.8.6, MQTT binding): user and port from the URI, QoS from notifierInfo; the
    # message is the notification `body` with its headers as `metadata`.
    uri = f"mqtt://someone:secret@127.0.0.1:{mqtt.port}/ngsild-test-suite/topic"
    body = subscription(uri, id="urn:x:mqtt")
    body["notification"]["endpoint"]["notifierInfo"] = [{"key": "MQTT-QoS", "value": qos}]
    body["notification"]["endpoint"]["receiverInfo"] = [{"key": "test-key", "value": "info"}]
    a_building(client)
    assert client.post(SUBS, json=body).status_code == 201
    building_changes(client, "Mapo")
    (published,) = mqtt.wait_for(1)
    assert published.topic == "ngsild-test-suite/topic"
    assert published.qos == int(qos)
    assert published.username == "someone"
    metadata = published.message["metadata"]  # 058_04_01: the headers, receiverInfo too
    assert metadata["Content-Type"] == "application/json"
    assert "Link" in metadata
    assert metadata["test-key"] == "info"
    notification = published.message["body"]
    assert notification["subscriptionId"] == "urn:x:mqtt"
    assert notification["data"][0]["name"]["value"] == "Mapo"


@pytest.mark.parametrize(
    ("uri", "notifier"),
    [
        ("mqtt://127.0.0.1:1883", []),  # no topic
        ("mqtt://127.0.0.1:1883/t", [{"key": "MQTT-QoS", "value": "3"}]),
        ("mqtt://127.0.0.1:1883/t", [{"key": "MQTT-Version", "value": "mqtt9"}]),
        ("ftp://127.0.0.1/t", []),
    ],
)
def test_malformed_notification_endpoints(client: TestClient, uri: str, notifier: Any) -> None:
    body = subscription(uri)
    body["notification"]["endpoint"]["notifierInfo"] = notifier
    refused(client.post(SUBS, json=body))


def test_a_refusing_mqtt_broker_fails_the_subscription(client: TestClient) -> None:
    broker = MqttBroker(refuse=True)
    try:
        uri = f"mqtt://127.0.0.1:{broker.port}/t"
        a_building(client)
        assert client.post(SUBS, json=subscription(uri, id="urn:x:refused")).status_code == 201
        building_changes(client, "Mapo")
        url = f"{SUBS}/urn:x:refused"
        deadline = time.monotonic() + 10
        while client.get(url).json()["status"] != "failed" and time.monotonic() < deadline:
            time.sleep(0.1)
        notification = client.get(url).json()["notification"]
        assert notification["status"] == "failed"
        assert "refused" in notification["lastErrorReason"]
        assert broker.published == []
    finally:
        broker.close()


def test_the_openapi_document_tells_the_new_behaviours(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    identity = paths[f"{PREFIX}/info/sourceIdentity"]["get"]["responses"]
    assert "200" in identity
    query = paths[f"{PREFIX}/entities"]["get"]["responses"]["200"]
    assert "NGSILD-Warning" in query["headers"]
    body = paths[SUBS]["post"]["requestBody"]["content"]["application/json"]["schema"]
    endpoint = body["allOf"][0]["properties"]["notification"]["properties"]["endpoint"]
    assert "mqtt" in endpoint["properties"]["uri"]["description"]


_BROKEN = {"/invalid.jsonld": b'{"note": "no context member here"}', "/broken.jsonld": b"{ no"}


class _Documents(BaseHTTPRequestHandler):
    """Serves two broken @context documents."""

    def do_GET(self) -> None:
        body = _BROKEN.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_a_remote_context_that_is_no_context_is_bad_request_data(client: TestClient) -> None:
    # 556_01_01 and 556_01_02 (5.5.6): had but invalid is 400; not had is 503 (043_01).
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    ld = {"Content-Type": "application/ld+json"}
    try:
        for name in ("invalid", "broken"):
            car = {"id": f"urn:ngsi-ld:Vehicle:{name}", "type": "Vehicle"}
            car["@context"] = f"{base}/{name}.jsonld"
            refused(client.post(ENTITIES, json=car, headers=ld))
            assert client.get(f"{ENTITIES}/urn:ngsi-ld:Vehicle:{name}").status_code == 404
        car = {"id": CAR, "type": "Vehicle", "@context": f"{base}/missing.jsonld"}
        refused(client.post(ENTITIES, json=car, headers=ld), "LdContextNotAvailable", 503)
    finally:
        server.shutdown()
        server.server_close()


def test_listed_subscriptions_show_their_default_triggers(client: TestClient) -> None:
    # 031_01_01, 031_02 (Table 5.2.12-1): attributeCreated and attributeUpdated by default.
    assert client.post(SUBS, json=subscription(id="urn:x:a")).status_code == 201
    paused = subscription(id="urn:x:b", isActive=False, notificationTrigger=["entityDeleted"])
    assert client.post(SUBS, json=paused).status_code == 201
    listed = {s["id"]: s for s in client.get(SUBS).json()}
    assert listed["urn:x:a"]["notificationTrigger"] == ["attributeCreated", "attributeUpdated"]
    assert listed["urn:x:a"]["status"] == "active"
    assert listed["urn:x:b"]["notificationTrigger"] == ["entityDeleted"]
    assert listed["urn:x:b"]["status"] == "paused"
    ld = {"Accept": "application/ld+json"}
    page = client.get(SUBS, params={"limit": 1, "offset": 1}, headers=ld)
    assert [s["id"] for s in page.json()] == ["urn:x:b"]
    # 031_02_02: the only link, exactly as the suite compares it.
    expected = f'<{SUBS}?limit=1&offset=0>;rel="prev";type="application/ld+json"'
    assert page.headers["link"] == expected
    first = client.get(SUBS, params={"limit": 1, "offset": 0}, headers=ld)
    assert first.headers["link"] == expected.replace("offset=0", "offset=1").replace("prev", "next")


def test_split_entities_are_filtered_once_merged(client: TestClient, source: ContextSource) -> None:
    # 5724_02_01 and 5724_02_02 (V1.9 5.7.2.4): without splitEntities the filters go with
    # the forwarded query; with it they stay here and apply to the merged entities.
    register(client, source)
    source.entities[CAR] = {
        "id": CAR,
        "type": "Vehicle",
        "speed": {"type": "Property", "value": 30},
    }
    plain = client.get(ENTITIES, params={"type": "Vehicle", "q": "speed>20", "scopeQ": "/A"})
    assert plain.status_code == 200
    assert {"q", "scopeQ", "type"} <= set(source.received[-1].params)
    for q, expected in (("speed>20", [CAR]), ("speed>50", [])):
        split = client.get(ENTITIES, params={"type": "Vehicle", "q": q, "splitEntities": "true"})
        assert [e["id"] for e in split.json()] == expected, q
        forwarded = source.received[-1].params
        assert "q" not in forwarded
        assert "type" in forwarded
    refused(client.get(ENTITIES, params={"type": "Vehicle", "splitEntities": "maybe"}))


def test_an_oversized_answer_is_left_out(
    client: TestClient, source: ContextSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 6317_02_01 and 6317_02_02 (6.3.17): past the byte ceiling an answer is an invalid
    # payload (111); the query still answers with what it has.
    monkeypatch.setattr(federation, "MAX_ANSWER_BYTES", 2000)
    register(client, source)
    source.entities[CAR] = {
        "id": CAR,
        "type": "Vehicle",
        "brand": {"type": "Property", "value": "x"},
    }
    small = client.get(ENTITIES, params={"type": "Vehicle"})
    assert [e["id"] for e in small.json()] == [CAR]
    assert "ngsild-warning" not in small.headers
    source.entities[CAR]["brand"]["value"] = "x" * 5000
    big = client.get(ENTITIES, params={"type": "Vehicle"})
    assert big.status_code == 200
    assert big.json() == []
    assert big.headers["ngsild-warning"].startswith("111")


def test_a_forwarded_retrieve_respects_the_registration(
    client: TestClient, source: ContextSource
) -> None:
    # 436_01_01 and 436_01_02 (4.3.6.1): no retrieve to a source registered for updates
    # only; a retrieve asks only the attributes the registration covers.
    info = [{"entities": [{"type": "Vehicle", "id": CAR}], "propertyNames": ["speed"]}]
    register(client, source, information=info, operations=["updateOps"])
    assert client.get(f"{ENTITIES}/{CAR}").status_code == 404
    assert source.received == []
    client.delete(f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:b")
    register(client, source, information=info, operations=["retrieveEntity"])
    source.entities[CAR] = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 9}}
    assert client.get(f"{ENTITIES}/{CAR}").status_code == 200
    assert source.received[-1].params["attrs"] == ["speed"]
    assert client.get(f"{ENTITIES}/{CAR}", params={"attrs": "brandName"}).status_code == 404


def test_context_source_info_is_conveyed_as_headers(
    client: TestClient, source: ContextSource
) -> None:
    # 436_05_01..03 (4.3.6.5): pairs become headers; urn:ngsi-ld:request copies the
    # triggering request's header; tenant and binding headers cannot be set; 436_04:
    # every forward carries local=true.
    info = [
        {"key": "Authorization", "value": "Bearer test-token"},
        {"key": "user", "value": "urn:ngsi-ld:request"},
        {"key": "NGSILD-Tenant", "value": "hacker"},
        {"key": "Via", "value": "1.1 evil"},
    ]
    register(client, source, contextSourceInfo=info)
    source.entities[CAR] = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 9}}
    assert client.get(f"{ENTITIES}/{CAR}", headers={"user": "abcd"}).status_code == 200
    sent = {k.lower(): v for k, v in source.received[-1].headers.items()}
    assert sent["authorization"] == "Bearer test-token"
    assert sent["user"] == "abcd"
    assert "ngsild-tenant" not in sent
    assert "evil" not in sent["via"]
    assert source.received[-1].params["local"] == ["true"]
    assert client.get(f"{ENTITIES}/{CAR}").status_code == 200
    assert "user" not in {k.lower() for k in source.received[-1].headers}


def test_writes_respect_the_registration_mode(client: TestClient, source: ContextSource) -> None:
    # 436_02_01/02 (4.3.6.2): an auxiliary source gets no write, whatever its operations;
    # 5614_01_01/02 (5.6.1.4): redirect without createEntity is Conflict, inclusive
    # without it keeps the entity here.
    info = [{"entities": [{"type": "Vehicle", "id": CAR}]}]
    car = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 1}}
    register(client, source, information=info, mode="auxiliary", operations=["redirectionOps"])
    assert client.post(ENTITIES, json=car).status_code == 201
    fragment = {"brand": {"type": "Property", "value": "x"}}
    assert client.post(f"{ENTITIES}/{CAR}/attrs", json=fragment).status_code == 204
    assert source.writes() == []
    client.delete(f"{ENTITIES}/{CAR}", params={"local": "true"})
    client.delete(f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:b")
    register(client, source, information=info, mode="redirect", operations=["retrieveOps"])
    refused(client.post(ENTITIES, json=car), "Conflict", 409)
    assert source.writes() == []
    assert client.get(f"{ENTITIES}/{CAR}", params={"local": "true"}).status_code == 404
    client.delete(f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:b")
    register(client, source, information=info, mode="inclusive", operations=["retrieveOps"])
    assert client.post(ENTITIES, json=car).status_code == 201
    assert source.writes() == []


def test_processed_context_source_info_keys(client: TestClient, source: ContextSource) -> None:
    # 436_06_01..03 (V1.9 4.3.6.6): contentType, jsonldContext and accept shape the
    # forwarded request instead of travelling as headers.
    info = [{"entities": [{"type": "Vehicle", "id": CAR}], "propertyNames": ["speed"]}]
    car = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 1}}
    reg = "urn:ngsi-ld:ContextSourceRegistration:b"

    def forwarded(pairs: list[dict[str, str]]) -> Any:
        client.delete(f"{ENTITIES}/{CAR}", params={"local": "true"})
        client.delete(f"{REGS}/{reg}")
        ops = ["redirectionOps"]
        register(client, source, information=info, mode="exclusive", operations=ops,
                 contextSourceInfo=pairs)  # fmt: skip
        assert client.post(ENTITIES, json=car).status_code == 201
        sent = source.writes()[-1]
        return {k.lower(): v for k, v in sent.headers.items()}, sent.body

    headers, body = forwarded([{"key": "contentType", "value": "application/ld+json"}])
    assert headers["content-type"].startswith("application/ld+json")
    assert "@context" in body
    alias = {"@context": {"fast": "https://uri.etsi.org/ngsi-ld/default-context/speed"}}
    hosted = client.post(f"{PREFIX}/jsonldContexts", json=alias)
    assert hosted.status_code == 201
    url = f"http://testserver{hosted.headers['location']}"
    headers, body = forwarded([{"key": "jsonldContext", "value": url}])
    assert headers["content-type"] == "application/json"
    assert url in headers["link"]
    assert "@context" not in body
    assert body["fast"] == car["speed"]  # compacted with the registered @context
    forwarded([{"key": "accept", "value": "application/ld+json"}])
    source.entities[CAR] = {"id": CAR, "type": "Vehicle", "speed": {"type": "Property", "value": 5}}
    got = client.get(f"{ENTITIES}/{CAR}")
    assert got.status_code == 200
    assert source.received[-1].headers["Accept"] == "application/ld+json"
    assert "contentType" not in source.received[-1].headers


def test_a_delivery_ending_late_keeps_the_current_subscription(
    client: TestClient, services: Services
) -> None:
    # The notifier records a delivery on the version it sent: a PATCH or DELETE made while
    # it was in flight must survive that record (032_01, 029_*: no stale write-back).
    manager = services.ngsi_tenants.default.subscriptions
    assert client.post(SUBS, json=subscription(id="urn:x:late")).status_code == 201
    sending = manager.get("urn:x:late")
    assert client.patch(f"{SUBS}/urn:x:late", json={"q": "height>3"}).status_code == 204
    sending.runtime["timesSent"] = 1
    manager.save(sending)
    got = client.get(f"{SUBS}/urn:x:late").json()
    assert got["q"] == "height>3"
    assert got["notification"]["timesSent"] == 1
    assert client.delete(f"{SUBS}/urn:x:late").status_code == 204
    manager.save(sending)
    assert client.get(f"{SUBS}/urn:x:late").status_code == 404


@pytest.mark.parametrize(
    ("temporal", "status"),
    [
        ({}, 400),
        ({"timerel": "sometime", "timeAt": "2020-01-01T00:00:00Z"}, 400),
        ({"timerel": "before"}, 400),
        ({"timerel": "between", "timeAt": "2020-01-01T00:00:00Z"}, 400),
        ({"timerel": "before", "timeAt": "2020-01-01T00:00:00Z"}, 201),
    ],
)
def test_registration_subscription_temporal_queries(
    client: TestClient, temporal: dict[str, str], status: int
) -> None:
    # 5.2.21 TemporalQuery in a registration subscription: timerel and timeAt are required,
    # endTimeAt too with between.
    body = subscription(temporalQ=temporal)
    assert client.post(f"{PREFIX}/csourceSubscriptions", json=body).status_code == status


def test_type_selection_in_subscriptions(client: TestClient, receiver: Receiver) -> None:
    # 046_16_01/02 (4.17): `(Building|Tower)` selects either type; `A;B` needs both.
    either = subscription(receiver.url, id="urn:x:either", notificationTrigger=["entityCreated"])
    either["entities"] = [{"type": "(Building|Tower)"}]
    both = subscription(receiver.url, id="urn:x:both", notificationTrigger=["entityCreated"])
    both["entities"] = [{"type": "Building;Tower"}]
    assert client.post(SUBS, json=either).status_code == 201
    assert client.post(SUBS, json=both).status_code == 201
    for n, types in enumerate((["House"], ["Tower"], ["Building", "Tower"])):
        entity = {"id": f"urn:ngsi-ld:Thing:{n}", "type": types}
        assert client.post(ENTITIES, json=entity).status_code == 201
    received = receiver.wait_for(3)
    time.sleep(0.3)  # nothing else arrives
    told = sorted((b["subscriptionId"], b["data"][0]["id"]) for b in receiver.bodies)
    assert len(received) == 3
    assert told == [
        ("urn:x:both", "urn:ngsi-ld:Thing:2"),
        ("urn:x:either", "urn:ngsi-ld:Thing:1"),
        ("urn:x:either", "urn:ngsi-ld:Thing:2"),
    ]
    for bad in ("(Building", "Building|", "A;;B"):
        refused(client.post(SUBS, json={**either, "id": "urn:x:bad", "entities": [{"type": bad}]}))


def test_null_members(client: TestClient) -> None:
    # 5.5.4: a null member is refused in a new subscription; in a PATCH null and the
    # NGSI-LD Null remove the member, and a mandatory one cannot be removed.
    refused(client.post(SUBS, json=subscription(q=None)))
    assert client.post(SUBS, json=subscription(id="urn:x:n", q="a>1", lang="ko")).status_code == 201
    url = f"{SUBS}/urn:x:n"
    assert client.patch(url, json={"q": None, "lang": "urn:ngsi-ld:null"}).status_code == 204
    got = client.get(url).json()
    assert "q" not in got
    assert "lang" not in got
    refused(client.patch(url, json={"notification": "urn:ngsi-ld:null"}))


def test_a_patch_cannot_change_the_id(client: TestClient) -> None:
    # 5.8.2: the fragment's id, if any, is the subscription's.
    assert client.post(SUBS, json=subscription(id="urn:x:same")).status_code == 201
    refused(client.patch(f"{SUBS}/urn:x:same", json={"id": "urn:x:other"}))
    assert client.patch(f"{SUBS}/urn:x:same", json={"id": "urn:x:same"}).status_code == 204
