"""Distributed operations (CIM 009 4.3.6, 6.3.18) against a real local context source.

Each test names the ETSI conformance tests (TP/NGSI-LD/DistributedOperations) it mirrors.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from context_source import PREFIX, ContextSource, Reply
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.ngsi.broker import EntityQuery

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
ngsi_ld: {{federation: {{via_name: broker-a, timeout_s: 2}}}}
"""
REGS = f"{PREFIX}/csourceRegistrations"
ENTITIES = f"{PREFIX}/entities"
CAR = "urn:ngsi-ld:Vehicle:car1"
BRAND = {"type": "Property", "value": "Mercedes"}
SPEED = {"type": "Property", "value": 80}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    tmp_path = tmp_path_factory.mktemp("distributed")
    text = CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media")
    return Services(parse_config(text), start_workers=False)


@pytest.fixture(scope="module")
def shared_client(services: Services) -> Iterator[TestClient]:
    # One app for the module (an app per test cost 0.5 s); `client` empties it after each test.
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as test_client:
        test_client.headers.update(grant(services.store, "ngsi-tests", "integrator"))
        yield test_client


@pytest.fixture
def client(shared_client: TestClient, services: Services) -> Iterator[TestClient]:
    yield shared_client
    ngsi = services.ngsi_tenants.default
    for reg_id in list(ngsi.registry.registrations):
        ngsi.registry.delete(reg_id)
    query = EntityQuery(id_pattern=re.compile("^urn:ngsi-ld:(Vehicle|Building):"))
    for entity in ngsi.broker.query(query):
        ngsi.broker.delete(entity.id)


@pytest.fixture
def source() -> Iterator[ContextSource]:
    server = ContextSource()
    yield server
    server.close()


def register(
    client: TestClient,
    source: ContextSource,
    mode: str,
    *,
    entity: dict[str, str] | None = None,
    attrs: list[str] | None = None,
    operations: tuple[str, ...] = ("redirectionOps",),
    reg_id: str = "urn:ngsi-ld:ContextSourceRegistration:r1",
) -> None:
    info: dict[str, Any] = {"entities": [entity or {"type": "Vehicle"}]}
    if attrs:
        info["propertyNames"] = attrs
    body = {
        "id": reg_id,
        "type": "ContextSourceRegistration",
        "information": [info],
        "endpoint": source.url,
        "mode": mode,
        "operations": list(operations),
    }
    created = client.post(REGS, json=body)
    assert created.status_code == 201, created.text


def car(**attrs: Any) -> dict[str, Any]:
    return {"id": CAR, "type": "Vehicle", **attrs}


def local_entity(client: TestClient, entity_id: str = CAR) -> Any:
    return client.get(f"{ENTITIES}/{entity_id}", params={"local": "true"})


def test_inclusive_create_goes_to_both(client: TestClient, source: ContextSource) -> None:
    """D001_01_inc."""
    register(client, source, "inclusive")
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    [sent] = source.writes()
    assert (sent.method, sent.path) == ("POST", ENTITIES)
    assert sent.body == car(brandName=BRAND)
    assert local_entity(client).json()["brandName"]["value"] == "Mercedes"


def test_inclusive_create_existing_here_is_multi_status(
    client: TestClient, source: ContextSource
) -> None:
    """D001_03_01_inc: the copy here fails (409), the source's succeeds: 207, one error."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "inclusive")
    answer = client.post(ENTITIES, json=car(brandName=BRAND))
    assert answer.status_code == 207
    assert answer.json()["success"] == [CAR]
    [error] = answer.json()["errors"]
    assert error["error"]["status"] == 409
    assert source.writes()[0].body["id"] == CAR


def test_exclusive_create_sends_registered_attributes_only(
    client: TestClient, source: ContextSource
) -> None:
    """D001_01_exc: speed belongs to the source; the rest stays here."""
    register(client, source, "exclusive", entity={"id": CAR, "type": "Vehicle"}, attrs=["speed"])
    answer = client.post(ENTITIES, json=car(speed=SPEED, brandName=BRAND))
    assert answer.status_code == 201
    [sent] = source.writes()
    assert sent.body == car(speed=SPEED)
    here = local_entity(client).json()
    assert "speed" not in here
    assert here["brandName"]["value"] == "Mercedes"


def test_redirect_create_keeps_nothing_here(client: TestClient, source: ContextSource) -> None:
    """D001_01_red: the whole create goes to the source."""
    register(client, source, "redirect")
    answer = client.post(ENTITIES, json=car(brandName=BRAND))
    assert answer.status_code == 201
    assert answer.headers["Location"] == f"{ENTITIES}/{CAR}"
    assert [w.path for w in source.writes()] == [ENTITIES]
    assert local_entity(client).status_code == 404


def test_operations_not_registered_are_not_forwarded(
    client: TestClient, source: ContextSource
) -> None:
    """D001_02_*: a registration without the write operation never gets it."""
    register(client, source, "inclusive", operations=("retrieveOps", "updateOps"))
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    assert source.writes() == []


def test_exclusive_append_splits_attributes(client: TestClient, source: ContextSource) -> None:
    """D003_01_exc, D003_02_exc: appended speed goes to the source, brandName stays here."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "exclusive", entity={"id": CAR, "type": "Vehicle"}, attrs=["speed"])
    fragment = {"speed": SPEED, "brandName": {"type": "Property", "value": "BMW"}}
    assert client.post(f"{ENTITIES}/{CAR}/attrs", json=fragment).status_code == 204
    [sent] = source.writes()
    assert (sent.method, sent.path, sent.body) == (
        "POST",
        f"{ENTITIES}/{CAR}/attrs",
        {"speed": SPEED},
    )
    here = local_entity(client).json()
    assert here["brandName"]["value"] == "BMW"
    assert "speed" not in here


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", f"{ENTITIES}/{CAR}/attrs", {"speed": SPEED}),  # D004_01_red
        ("PATCH", f"{ENTITIES}/{CAR}/attrs/speed", {"value": 90}),  # D005_01_red
        ("DELETE", f"{ENTITIES}/{CAR}/attrs/speed", None),  # D006_01_red
        ("PUT", f"{ENTITIES}/{CAR}", car(speed=SPEED)),  # D007_01_red
        ("PATCH", f"{ENTITIES}/{CAR}", {"speed": SPEED}),  # D008_01_red
        ("PUT", f"{ENTITIES}/{CAR}/attrs/speed", SPEED),  # D009_01_red
        ("DELETE", f"{ENTITIES}/{CAR}", None),  # D002_01_red
    ],
)
def test_redirect_forwards_each_write(
    client: TestClient, source: ContextSource, method: str, path: str, body: Any
) -> None:
    """D002-D009 *_red: the write goes to the source as is, with this broker in Via."""
    register(client, source, "redirect")
    answer = client.request(method, path, json=body)
    assert answer.status_code == 204, answer.text
    [sent] = source.writes()
    assert (sent.method, sent.path, sent.body) == (method, path, body)
    assert sent.headers["Via"] == "1.1 broker-a"
    assert "local" not in sent.params


def test_source_failure_is_multi_status_update_result(
    client: TestClient, source: ContextSource
) -> None:
    """D004_01_inc, D005_01_inc: an attribute the source could not update is in notUpdated
    with the registration; the one updated here is in updated."""
    assert client.post(ENTITIES, json=car(brandName=BRAND, speed=SPEED)).status_code == 201
    register(client, source, "inclusive")
    problem = {"type": "https://uri.etsi.org/ngsi-ld/errors/InternalError", "status": 500}
    source.replies[("PATCH", f"{ENTITIES}/{CAR}/attrs")] = Reply(500, problem)
    answer = client.patch(
        f"{ENTITIES}/{CAR}/attrs", json={"speed": {"type": "Property", "value": 1}}
    )
    assert answer.status_code == 207
    body = answer.json()
    assert body["updated"] == ["speed"]
    [failed] = body["notUpdated"]
    assert failed["attributeName"] == "speed"
    assert failed["registrationId"] == "urn:ngsi-ld:ContextSourceRegistration:r1"
    assert local_entity(client).json()["speed"]["value"] == 1


def test_only_part_failing_answers_its_error(client: TestClient, source: ContextSource) -> None:
    """D001_02_red-like: a redirected write the source refuses answers the source's error."""
    register(client, source, "redirect")
    conflict = {"type": "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", "status": 409}
    source.replies[("POST", ENTITIES)] = Reply(409, conflict)
    answer = client.post(ENTITIES, json=car(brandName=BRAND))
    assert answer.status_code == 409
    assert answer.json()["type"].endswith("AlreadyExists")


def test_inclusive_delete_deletes_both(client: TestClient, source: ContextSource) -> None:
    """D002_01_inc, D018_02_03: deleted here and at the source, Via sent."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "inclusive")
    assert client.delete(f"{ENTITIES}/{CAR}").status_code == 204
    [sent] = source.writes()
    assert (sent.method, sent.path) == ("DELETE", f"{ENTITIES}/{CAR}")
    assert local_entity(client).status_code == 404


def test_exclusive_delete_attribute_stays_away(client: TestClient, source: ContextSource) -> None:
    """D006_01_exc: deleting the source's attribute goes there only."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "exclusive", entity={"id": CAR, "type": "Vehicle"}, attrs=["speed"])
    assert client.delete(f"{ENTITIES}/{CAR}/attrs/speed").status_code == 204
    assert [(w.method, w.path) for w in source.writes()] == [
        ("DELETE", f"{ENTITIES}/{CAR}/attrs/speed")
    ]
    assert client.delete(f"{ENTITIES}/{CAR}/attrs/brandName").status_code == 204
    assert len(source.writes()) == 1


def test_batch_create_splits_by_registration(client: TestClient, source: ContextSource) -> None:
    """D012_01_red, D012_01_inc: redirected entities go to the source as one batch."""
    register(client, source, "redirect", entity={"type": "Vehicle"})
    cars = [car(brandName=BRAND), {**car(), "id": "urn:ngsi-ld:Vehicle:car2"}]
    other = {"id": "urn:ngsi-ld:Building:b1", "type": "Building"}
    answer = client.post(f"{PREFIX}/entityOperations/create", json=[*cars, other])
    assert answer.status_code == 201
    assert sorted(answer.json()) == sorted([c["id"] for c in cars] + [other["id"]])
    [sent] = source.writes()
    assert (sent.path, sent.body) == (f"{PREFIX}/entityOperations/create", cars)
    assert local_entity(client).status_code == 404
    assert local_entity(client, other["id"]).status_code == 200


def test_batch_source_failure_names_registration(client: TestClient, source: ContextSource) -> None:
    """D014_01_inc, D015_01_inc: a failed source batch is a 207 error per entity."""
    register(client, source, "inclusive")
    source.replies[("POST", f"{PREFIX}/entityOperations/upsert")] = Reply(500)
    answer = client.post(f"{PREFIX}/entityOperations/upsert", json=[car(brandName=BRAND)])
    assert answer.status_code == 207
    body = answer.json()
    assert body["success"] == [CAR]
    [error] = body["errors"]
    assert error["registrationId"] == "urn:ngsi-ld:ContextSourceRegistration:r1"
    assert error["error"]["status"] == 500


def test_exclusive_source_wins_its_attributes(client: TestClient, source: ContextSource) -> None:
    """D010_*_exc, D011_*_exc: the registered attribute comes from the source, not from here."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(
        client, source, "exclusive", entity={"id": CAR, "type": "Vehicle"}, attrs=["speed"],
        operations=("redirectionOps",),
    )  # fmt: skip
    old = {"speed": {"type": "Property", "value": 10}}
    client.post(f"{ENTITIES}/{CAR}/attrs", json=old, params={"local": "true"})
    # Only what it registers is the source's own: its brandName does not replace this one.
    source.entities[CAR] = car(speed=SPEED, brandName={"type": "Property", "value": "Other"})
    got = client.get(f"{ENTITIES}/{CAR}", params={"options": "keyValues"}).json()
    assert got == {"id": CAR, "type": "Vehicle", "brandName": "Mercedes", "speed": 80}
    listed = client.get(ENTITIES, params={"type": "Vehicle", "options": "keyValues"}).json()
    assert listed == [got]


def test_auxiliary_only_fills_in_attributes(client: TestClient, source: ContextSource) -> None:
    """D010_01_aux, D011_01_aux: an auxiliary source adds attributes nobody else has; where
    this broker has the attribute, its value wins."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "auxiliary", operations=("retrieveOps",))
    source.entities[CAR] = car(speed=SPEED, brandName={"type": "Property", "value": "Other"})
    got = client.get(f"{ENTITIES}/{CAR}", params={"options": "keyValues"}).json()
    assert got == {"id": CAR, "type": "Vehicle", "brandName": "Mercedes", "speed": 80}
    assert client.post(f"{ENTITIES}/{CAR}/attrs", json={"speed": SPEED}).status_code == 204
    assert source.writes() == []  # never a write


def test_batch_query_asks_sources(client: TestClient, source: ContextSource) -> None:
    """D011_01_exc (POST variant): a Query body goes as it is to sources serving queryBatch."""
    register(client, source, "inclusive", operations=("queryBatch",))
    source.entities[CAR] = car(speed=SPEED)
    query = {"type": "Query", "entities": [{"type": "Vehicle"}]}
    found = client.post(f"{PREFIX}/entityOperations/query", json=query).json()
    assert [e["id"] for e in found] == [CAR]
    [asked] = source.received
    assert (asked.method, asked.path, asked.body) == (
        "POST",
        f"{PREFIX}/entityOperations/query",
        query,
    )
    assert asked.params["local"] == ["true"]
    assert client.get(ENTITIES, params={"type": "Vehicle"}).json() == []  # not queryEntity


def test_via_names_this_broker_and_keeps_earlier_hops(
    client: TestClient, source: ContextSource
) -> None:
    """D018_02_01, D018_03: forwarded requests carry Via, earlier hops first."""
    register(client, source, "inclusive")
    headers = {"Via": "1.1 broker-z"}
    assert client.post(ENTITIES, json=car(), headers=headers).status_code == 201
    assert source.writes()[0].headers["Via"] == "1.1 broker-z, 1.1 broker-a"


def test_loop_is_detected(client: TestClient, source: ContextSource) -> None:
    """D018_01: a request whose Via already names this broker is a 508 LoopDetected."""
    register(client, source, "inclusive")
    assert client.post(ENTITIES, json=car()).status_code == 201
    via = source.writes()[0].headers["Via"]
    answer = client.delete(f"{ENTITIES}/{CAR}", headers={"Via": via})
    assert answer.status_code == 508
    assert answer.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/LoopDetected"
    assert len(source.writes()) == 1


def test_source_already_in_via_is_not_asked(client: TestClient, source: ContextSource) -> None:
    """6.3.18: a source that already handled the request does not get it again."""
    register(client, source, "inclusive")
    host = source.url.removeprefix("http://")
    answer = client.post(ENTITIES, json=car(), headers={"Via": f"1.1 {host}"})
    assert answer.status_code == 201
    assert source.writes() == []
    assert client.get(ENTITIES, params={"type": "Vehicle"}, headers={"Via": f"1.1 {host}"})
    assert source.received == []


def test_inclusive_delete_missing_at_source_is_multi_status(
    client: TestClient, source: ContextSource
) -> None:
    """D002_02_01_inc: deleted here, the source answers 404: 207 with that error."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "inclusive")
    source.replies[("DELETE", f"{ENTITIES}/{CAR}")] = Reply(404)
    answer = client.delete(f"{ENTITIES}/{CAR}")
    assert answer.status_code == 207
    [error] = answer.json()["errors"]
    assert error["error"]["status"] == 404
    assert error["error"]["type"].endswith("ResourceNotFound")
    assert local_entity(client).status_code == 404


def test_exclusive_without_the_operation_refuses_its_part(
    client: TestClient, source: ContextSource
) -> None:
    """D001_02_exc, D002_02_exc: attributes of an exclusive registration that does not serve
    the operation are written nowhere: alone, 409; beside a local part, 207."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(
        client, source, "exclusive", entity={"id": CAR, "type": "Vehicle"}, attrs=["speed"],
        operations=("retrieveOps",),
    )  # fmt: skip
    refused = client.post(f"{ENTITIES}/{CAR}/attrs", json={"speed": SPEED})
    assert refused.status_code == 409
    assert "speed" not in local_entity(client).json()
    deleted = client.delete(f"{ENTITIES}/{CAR}")
    assert deleted.status_code == 207
    [error] = deleted.json()["errors"]
    assert error["registrationId"] == "urn:ngsi-ld:ContextSourceRegistration:r1"
    assert local_entity(client).status_code == 404
    assert source.writes() == []


def test_inclusive_append_keeps_options_and_source_partial_result(
    client: TestClient, source: ContextSource
) -> None:
    """D003_02_inc: noOverwrite travels to the source; its UpdateResult joins this one's."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "inclusive")
    partial = {"updated": ["speed"], "notUpdated": [{"attributeName": "brandName", "reason": "x"}]}
    source.replies[("POST", f"{ENTITIES}/{CAR}/attrs")] = Reply(207, partial)
    fragment = {"speed": SPEED, "brandName": {"type": "Property", "value": "BMW"}}
    answer = client.post(
        f"{ENTITIES}/{CAR}/attrs", json=fragment, params={"options": "noOverwrite"}
    )
    assert answer.status_code == 207
    body = answer.json()
    assert body["updated"] == ["speed"]
    assert {n["attributeName"] for n in body["notUpdated"]} == {"brandName"}
    assert source.writes()[0].params["options"] == ["noOverwrite"]
    assert local_entity(client).json()["brandName"]["value"] == "Mercedes"


def test_temporal_reads_ask_sources(client: TestClient, source: ContextSource) -> None:
    """4.3.6 for retrieveTemporal/queryTemporal: a source's temporal attributes are merged
    in, asked with the request's shape and no page."""
    assert client.post(ENTITIES, json=car(brandName=BRAND)).status_code == 201
    register(client, source, "inclusive", operations=("retrieveTemporal", "queryTemporal"))
    speeds = [{"type": "Property", "value": 80, "observedAt": "2026-12-01T00:00:00Z"}]
    source.temporal[CAR] = {"id": CAR, "type": "Vehicle", "speed": speeds}
    other = "urn:ngsi-ld:Vehicle:remote"
    source.temporal[other] = {"id": other, "type": "Vehicle", "speed": speeds}
    got = client.get(f"{PREFIX}/temporal/entities/{CAR}", params={"lastN": "5"}).json()
    assert got["speed"] == speeds
    assert "brandName" in got
    [asked] = source.received
    assert asked.params["lastN"] == ["5"]
    assert asked.params["local"] == ["true"]
    found = client.get(f"{PREFIX}/temporal/entities", params={"type": "Vehicle", "limit": "1"})
    assert [e["id"] for e in found.json()] == [CAR]
    assert "limit" not in source.received[-1].params
    remote_only = client.get(f"{PREFIX}/temporal/entities/{other}")
    assert remote_only.json()["speed"] == speeds
    local_only = client.get(f"{PREFIX}/temporal/entities/{other}", params={"local": "true"})
    assert local_only.status_code == 404


def test_malformed_write_is_sent_nowhere(client: TestClient, source: ContextSource) -> None:
    """A body this broker refuses as malformed (400) is not forwarded either."""
    register(client, source, "inclusive")
    answer = client.post(ENTITIES, json=car(brandName={"type": "Property"}))  # no value
    assert answer.status_code == 400
    assert source.writes() == []


def test_temporal_writes_follow_the_modes(client: TestClient, source: ContextSource) -> None:
    """4.3.6 for upsertTemporal and deleteTemporal: a redirect source gets them, nothing is
    kept here."""
    register(client, source, "redirect", operations=("upsertTemporal", "deleteTemporal"))
    speeds = [{"type": "Property", "value": 80, "observedAt": "2026-12-01T00:00:00Z"}]
    created = client.post(f"{PREFIX}/temporal/entities", json=car(speed=speeds))
    assert created.status_code == 204
    deleted = client.delete(f"{PREFIX}/temporal/entities/{CAR}")
    assert deleted.status_code == 204
    assert [(w.method, w.path) for w in source.writes()] == [
        ("POST", f"{PREFIX}/temporal/entities"),
        ("DELETE", f"{PREFIX}/temporal/entities/{CAR}"),
    ]
    assert source.writes()[0].body == car(speed=speeds)
    assert local_entity(client).status_code == 404
