"""/ngsi-ld/v1/csourceRegistrations: registration (5.9), discovery (5.10), @context, tenants.

Test names cite the ETSI NGSI-LD conformance test (TP) whose scenario they cover.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

REGS = "/ngsi-ld/v1/csourceRegistrations"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
# A user @context like the test suite's, served from a file (no network in tests).
SUITE = "https://ngsi-ld-test-suite.example/context.jsonld"
VOCAB = "https://ngsi-ld-test-suite/context#"
SUITE_TERMS = {
    name: VOCAB + name
    for name in (
        "Vehicle", "Building", "OffStreetParking", "brandName", "speed", "name",
        "subCategory", "availableSpotNumber", "totalSpotNumber", "csourceProperty1",
    )
}  # fmt: skip
LINK = f'<{SUITE}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
LD = {"Content-Type": "application/ld+json"}

CONFIG = """
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
ngsi_ld: {{contexts: [{{url: "{suite}", path: {context}}}]}}
"""


@pytest.fixture
def services(tmp_path: Path) -> Services:
    context = tmp_path / "suite.jsonld"
    context.write_text(json.dumps({"@context": SUITE_TERMS}))
    text = CONFIG.format(
        db=tmp_path / "db.sqlite", media=tmp_path / "media", suite=SUITE, context=context
    )
    return Services(parse_config(text), start_workers=False)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as test_client:
        test_client.headers.update(grant(services.store, "ngsi-tests", "integrator"))
        yield test_client


def registration(n: int = 1, **extra: Any) -> dict[str, Any]:
    """The test suite's context-source-registration.jsonld with another id."""
    return {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{n}",
        "type": "ContextSourceRegistration",
        "information": [
            {
                "entities": [{"id": "urn:ngsi-ld:Vehicle:A456", "type": "Vehicle"}],
                "propertyNames": ["brandName", "speed"],
                "relationshipNames": ["isParked"],
            },
            {
                "entities": [
                    {"idPattern": ".*downtown$", "type": "OffStreetParking"},
                    {"idPattern": ".*47$", "type": "OffStreetParking"},
                ],
                "propertyNames": ["availableSpotNumber", "totalSpotNumber"],
                "relationshipNames": ["isNextToBuilding"],
            },
        ],
        "endpoint": "http://my.csource.org:1026",
        "@context": [SUITE],
        **extra,
    }


def building(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:b{n}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Building"}]}],
        "endpoint": "http://my.csource.org:1026",
        "@context": [SUITE],
        **extra,
    }


def post(client: TestClient, body: dict[str, Any], **headers: str) -> Any:
    return client.post(REGS, content=json.dumps(body), headers={**LD, **headers})


def problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == ERR + kind
    assert response.json()["title"]


def test_033_01_create_with_expiry_round_trips_with_defaults(client: TestClient) -> None:
    body = registration(expiresAt="2035-11-29T14:53:15Z")
    created = post(client, body)
    assert created.status_code == 201
    assert created.content == b""
    assert created.headers["location"] == f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:1"
    got = client.get(f"{REGS}/{body['id']}", headers={"Link": LINK, "Accept": LD["Content-Type"]})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/ld+json")
    answer = got.json()
    assert answer["@context"] == SUITE
    for key in ("id", "type", "information", "endpoint", "expiresAt"):
        assert answer[key] == body[key], key
    assert answer["mode"] == "inclusive"  # 036_05: defaults of 5.2.9
    assert answer["operations"] == ["federationOps"]


def test_033_01_mode_operations_location_and_extras_are_kept(client: TestClient) -> None:
    body = building(
        1,
        mode="auxiliary",
        operations=["retrieveOps"],
        location={"type": "Point", "coordinates": [-8.521, 41.2]},
        registrationName="lab",
        description="a lab",
        observationInterval={"startAt": "2026-01-01T00:00:00Z"},
        managementInterval={"startAt": "2026-01-01T00:00:00Z", "endAt": "2027-01-01T00:00:00Z"},
        contextSourceInfo=[{"key": "X-Auth-Token", "value": "abc"}],
        management={"cacheDuration": "PT5M", "cooldown": 500, "timeout": 3000, "localOnly": True},
        csourceProperty1="aValue",
    )
    assert post(client, body).status_code == 201
    got = client.get(f"{REGS}/{body['id']}", headers={"Link": LINK}).json()
    for key, value in body.items():
        if key != "@context":
            assert got[key] == value, key


def test_033_02_033_10_invalid_bodies_are_bad_request_data(client: TestClient) -> None:
    for bad in (
        {**registration(), "information": None},  # 033_02
        {"id": "urn:x:1", "type": "ContextSourceRegistration", "@context": [SUITE]},  # 033_10_01
        registration(expiresAt="2001-01-01T00:00:00Z"),  # 033_10_02
        {**registration(), "endpoint": None},
        {**registration(), "id": "not a uri"},
        {**registration(), "type": "Registration"},
        registration(mode="sometimes"),
        registration(information=[{"entities": [{"id": "urn:x:1"}]}]),  # no type
        registration(information=[{}]),
        registration(location={"type": "Point", "coordinates": "here"}),
    ):
        problem(post(client, bad), 400, "BadRequestData")


def test_033_12_5234_01_pairs_and_management_are_checked(client: TestClient) -> None:
    for pairs in (
        [{"key": "X-Custom", "value": 123}],
        [{"key": "X-Custom", "value": ["a"]}],
        [{"key": "X-Custom"}],
        [{"key": 5, "value": "v"}],
    ):
        problem(post(client, building(1, contextSourceInfo=pairs)), 400, "BadRequestData")
    for management in (
        "yes",
        {"cacheDuration": "bogus"},
        {"cooldown": 0},
        {"timeout": -5},
        {"localOnly": "yes"},
    ):
        problem(post(client, building(1, management=management)), 400, "BadRequestData")


def test_033_03_existing_id_is_already_exists(client: TestClient) -> None:
    assert post(client, registration()).status_code == 201
    problem(post(client, registration()), 409, "AlreadyExists")


def test_033_04_033_05_link_header_or_default_context(client: TestClient) -> None:
    plain = {k: v for k, v in registration(1).items() if k != "@context"}
    assert client.post(REGS, json=plain, headers={"Link": LINK}).status_code == 201
    url = f"{REGS}/{plain['id']}"
    first = client.get(url, headers={"Link": LINK}).json()["information"][0]
    assert first["entities"][0]["type"] == "Vehicle"  # 033_04_01
    assert first["propertyNames"] == ["brandName", "speed"]
    bare = client.get(url).json()["information"][0]  # 033_04_02 / 036_05_01: expanded
    assert bare["entities"][0]["type"] == VOCAB + "Vehicle"
    assert bare["propertyNames"] == [VOCAB + "brandName", VOCAB + "speed"]
    assert bare["relationshipNames"] == ["isParked"]  # default vocabulary compacts back
    default = {**plain, "id": "urn:ngsi-ld:ContextSourceRegistration:2"}
    assert client.post(REGS, json=default).status_code == 201  # 033_05: default context
    seen = client.get(f"{REGS}/{default['id']}", headers={"Link": LINK}).json()
    assert seen["information"][0]["entities"][0]["type"] == "ngsi-ld:default-context/Vehicle"
    assert client.get(f"{REGS}/{default['id']}").json()["information"][0]["entities"][0][
        "type"
    ] == ("Vehicle")


def test_033_06_033_09_context_and_content_type_mismatch(client: TestClient) -> None:
    body = registration()
    as_json = client.post(
        REGS, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    problem(as_json, 400, "BadRequestData")  # 033_06
    problem(post(client, body, Link=LINK), 400, "BadRequestData")  # 033_09


def test_436_03_exclusive_needs_entity_ids_and_attributes(client: TestClient) -> None:
    exclusive = {"mode": "exclusive", "operations": ["retrieveOps"]}
    no_attrs = building(1, information=[{"entities": [{"type": "Vehicle", "id": "urn:v:1"}]}])
    problem(post(client, {**no_attrs, **exclusive}), 400, "BadRequestData")  # 436_03_01
    type_only = building(2, information=[{"entities": [{"type": "Vehicle"}]}])
    type_only["information"][0]["propertyNames"] = ["speed"]
    problem(post(client, {**type_only, **exclusive}), 400, "BadRequestData")  # 436_03_02
    pattern = {"type": "Vehicle", "idPattern": ".*", "id": "urn:v:1"}
    with_pattern = building(3, information=[{"entities": [pattern], "propertyNames": ["speed"]}])
    problem(post(client, {**with_pattern, **exclusive}), 400, "BadRequestData")  # 436_03_03


def test_436_03_overlapping_exclusive_or_redirect_is_conflict(client: TestClient) -> None:
    info = [{"entities": [{"type": "Vehicle", "id": "urn:v:1"}], "propertyNames": ["speed"]}]
    ops = {"operations": ["redirectionOps"], "information": info}
    assert post(client, building(1, mode="exclusive", **ops)).status_code == 201
    problem(post(client, building(2, mode="exclusive", **ops)), 409, "Conflict")  # 436_03_04
    problem(post(client, building(3, mode="redirect", **ops)), 409, "Conflict")
    other = [{"entities": [{"type": "Vehicle", "id": "urn:v:2"}], "propertyNames": ["speed"]}]
    assert (
        post(
            client, building(4, mode="redirect", operations=["redirectionOps"], information=other)
        ).status_code
        == 201
    )
    # 436_03_05: redirect registrations may overlap each other.
    assert (
        post(
            client, building(5, mode="redirect", operations=["redirectionOps"], information=other)
        ).status_code
        == 201
    )
    assert post(client, building(6, mode="inclusive", **ops)).status_code == 201


def test_5922_01_auxiliary_ops_and_conflicts_with_local_entities(client: TestClient) -> None:
    aux = building(1, mode="auxiliary", operations=["updateEntity"])
    problem(post(client, aux), 400, "BadRequestData")  # 5922_01_01
    entity = {
        "id": "urn:ngsi-ld:Building:1",
        "type": "Building",
        "subCategory": {"type": "Property", "value": "office"},
        "@context": [SUITE],
    }
    assert (
        client.post("/ngsi-ld/v1/entities", content=json.dumps(entity), headers=LD).status_code
        == 201
    )
    selector = {"type": "Building", "id": "urn:ngsi-ld:Building:1"}
    redirect = building(
        2, mode="redirect", operations=["retrieveOps"], information=[{"entities": [selector]}]
    )
    answer = post(client, redirect)
    problem(answer, 409, "Conflict")  # 5922_01_02
    assert "Conflict" in answer.text
    owned = [{"entities": [selector], "propertyNames": ["subCategory"]}]
    exclusive = building(3, mode="exclusive", operations=["retrieveOps"], information=owned)
    problem(post(client, exclusive), 409, "Conflict")  # 5922_01_03
    elsewhere = [{"entities": [selector], "propertyNames": ["name"]}]
    assert (
        post(
            client, building(4, mode="exclusive", operations=["retrieveOps"], information=elsewhere)
        ).status_code
        == 201
    )


def test_034_01_034_05_patch_changes_members_and_null_removes(client: TestClient) -> None:
    assert post(client, registration(expiresAt="2035-11-29T14:53:15Z")).status_code == 201
    url = f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:1"
    before = client.get(url, params={"options": "sysAttrs"}).json()
    patch = {"endpoint": "http://my.new.csource.org:1026"}
    assert client.patch(url, json=patch).status_code == 204  # 034_01
    after = client.get(url, params={"options": "sysAttrs"}).json()
    assert after["endpoint"] == "http://my.new.csource.org:1026"
    assert after["createdAt"] == before["createdAt"]
    assert after["modifiedAt"] >= before["modifiedAt"]
    assert after["information"] == before["information"]  # names kept through the patch
    assert client.patch(url, json={"expiresAt": None}).status_code == 204  # 034_05
    assert "expiresAt" not in client.get(url).json()


def test_034_02_to_034_06_patch_errors(client: TestClient) -> None:
    assert post(client, registration()).status_code == 201
    url = f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:1"
    fragment = {"type": "building", "@context": [SUITE]}
    problem(
        client.patch(f"{REGS}/invalidURI", content=json.dumps(fragment), headers=LD),
        400,
        "BadRequestData",
    )
    problem(client.patch(url, content=json.dumps(fragment), headers=LD), 400, "BadRequestData")
    removal = {"information": None, "@context": [SUITE]}
    problem(client.patch(url, content=json.dumps(removal), headers=LD), 400, "BadRequestData")
    unknown = f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:404"
    problem(
        client.patch(unknown, json={"endpoint": "http://x.org"}), 404, "ResourceNotFound"
    )  # 034_03
    broken = client.patch(url, content=b"{not json", headers={"Content-Type": "application/json"})
    problem(broken, 400, "InvalidRequest")  # 034_04
    empty_id = client.patch(f"{REGS}/", json={"endpoint": "http://x.org"})
    assert empty_id.status_code == 405  # 034_06
    assert empty_id.content == b""


def test_035_036_delete_and_retrieve_errors(client: TestClient) -> None:
    assert post(client, registration()).status_code == 201
    url = f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:1"
    problem(client.get(f"{REGS}/invalidUri"), 400, "BadRequestData")  # 036_01
    problem(client.delete(f"{REGS}/invalidUri"), 400, "BadRequestData")  # 035_02
    assert client.delete(url).status_code == 204  # 035_01
    problem(client.get(url), 404, "ResourceNotFound")  # 036_02
    problem(client.delete(url), 404, "ResourceNotFound")  # 035_03


def test_037_01_discovery_by_type_and_attrs(client: TestClient) -> None:
    assert post(client, registration(1)).status_code == 201
    detailed = building(2)
    detailed["information"][0].update(
        propertyNames=["name", "subCategory"], relationshipNames=["locatedAt"]
    )
    assert post(client, detailed).status_code == 201
    link = {"Link": LINK}

    def ids(**params: str) -> list[str]:
        answer = client.get(REGS, params=params, headers=link)
        assert answer.status_code == 200, answer.text
        return [r["id"] for r in answer.json()]

    assert ids(type="Building") == [detailed["id"]]  # 037_01_01
    assert ids(attrs="name") == [detailed["id"]]  # 037_01_02
    assert ids(type="Vehicle") == [registration(1)["id"]]
    assert ids(type="Vehicle", attrs="speed") == [registration(1)["id"]]
    assert ids(type="Vehicle", attrs="name") == []  # registered, but not for that attribute
    assert ids(type="OffStreetParking", id="urn:ngsi-ld:OffStreetParking:downtown") == [
        registration(1)["id"]
    ]
    assert ids(type="OffStreetParking", id="urn:ngsi-ld:OffStreetParking:uptown") == []
    assert ids(type="Vehicle", idPattern="A4.*") == [registration(1)["id"]]
    assert ids(type="Vehicle", idPattern="^B") == []
    assert ids(q="speed>10") == [registration(1)["id"]]
    # The expected page is what the registration shows when retrieved (037_01 expectation).
    listed = client.get(REGS, params={"type": "Building"}, headers=link).json()[0]
    assert listed == client.get(f"{REGS}/{detailed['id']}", headers=link).json()


def test_037_02_discovery_needs_a_filter(client: TestClient) -> None:
    problem(client.get(REGS, headers={"Link": LINK}), 400, "BadRequestData")


def test_037_07_geo_query_on_the_registration_location(client: TestClient) -> None:
    where = building(1, location={"type": "Point", "coordinates": [-8.521, 41.2]})
    assert post(client, where).status_code == 201
    assert post(client, building(2)).status_code == 201  # no location: never geo-matched
    near = {
        "type": "Building",
        "georel": "near;maxDistance==2000",
        "geometry": "Point",
        "coordinates": "[-8.503,41.202]",
    }
    found = client.get(REGS, params=near, headers={"Link": LINK}).json()
    assert [r["id"] for r in found] == [where["id"]]  # 037_07_01
    polygon = "[[[-13.503,47.202],[6.541,52.961],[20.37,44.653],[9.46,32.57],[-15.23,21.37],[-13.503,47.202]]]"
    within = {
        "type": "Building",
        "georel": "within",
        "geometry": "Polygon",
        "coordinates": polygon,
        "geoproperty": "location",
    }
    assert [r["id"] for r in client.get(REGS, params=within, headers={"Link": LINK}).json()] == [
        where["id"]
    ]
    far = {**near, "coordinates": "[10,10]"}
    assert client.get(REGS, params=far, headers={"Link": LINK}).json() == []


def test_037_10_ids_q_and_csf(client: TestClient) -> None:
    assert post(client, registration(1)).status_code == 201
    detailed = building(2)
    detailed["information"][0]["propertyNames"] = ["name"]
    assert post(client, detailed).status_code == 201
    props = building(3, csourceProperty1="aValue")
    assert post(client, props).status_code == 201
    link = {"Link": LINK}

    def ids(**params: str) -> list[str]:
        return [r["id"] for r in client.get(REGS, params=params, headers=link).json()]

    assert ids(id="urn:ngsi-ld:Vehicle:A456") == [registration(1)["id"]]
    # 037_10_01: ids name registrations too; a type-only registration does not promise an id.
    assert ids(id=f"{registration(1)['id']},{props['id']}") == [registration(1)["id"], props["id"]]
    assert ids(q='csourceProperty1=="aValue"') == [props["id"]]  # 037_10_02
    assert ids(csf='csourceProperty1=="aValue"') == [props["id"]]
    assert ids(csf='csourceProperty1=="other"') == []
    assert ids(csf='endpoint=="http://my.csource.org:1026";mode=="inclusive"', type="Building") == [
        detailed["id"],
        props["id"],
    ]


def test_037_11_paging_and_count(client: TestClient) -> None:
    for n in (1, 2, 3):
        assert post(client, building(n)).status_code == 201
    page = client.get(
        REGS,
        params={"type": "Building", "limit": 1, "offset": 1, "count": "true"},
        headers={"Link": LINK},
    )
    assert [r["id"] for r in page.json()] == [building(2)["id"]]
    assert page.headers["NGSILD-Results-Count"] == "3"
    assert 'rel="prev"' in page.headers["link"]
    assert 'rel="next"' in page.headers["link"]
    last = client.get(
        REGS, params={"type": "Building", "limit": 2, "offset": 2}, headers={"Link": LINK}
    )
    assert len(last.json()) == 1
    assert 'rel="next"' not in last.headers["link"]
    assert (
        len(
            client.get(
                REGS, params={"type": "Building", "limit": 15}, headers={"Link": LINK}
            ).json()
        )
        == 3
    )


def test_expired_registrations_are_not_discovered(client: TestClient, services: Services) -> None:
    assert post(client, building(1, expiresAt="2035-01-01T00:00:00Z")).status_code == 201
    assert len(client.get(REGS, params={"type": "Building"}, headers={"Link": LINK}).json()) == 1
    from datetime import UTC, datetime

    services.ngsi.registry.registrations[building(1)["id"]].expires = datetime(
        2001, 1, 1, tzinfo=UTC
    )
    assert client.get(REGS, params={"type": "Building"}, headers={"Link": LINK}).json() == []
    assert client.get(f"{REGS}/{building(1)['id']}").status_code == 200


def test_registrations_persist_and_tenants_are_separate(
    client: TestClient, services: Services
) -> None:
    assert post(client, registration(1)).status_code == 201
    assert post(client, registration(2), **{"NGSILD-Tenant": "lab"}).status_code == 201
    assert client.get(f"{REGS}/{registration(2)['id']}").status_code == 404
    in_lab = client.get(f"{REGS}/{registration(2)['id']}", headers={"NGSILD-Tenant": "lab"})
    assert in_lab.status_code == 200
    assert in_lab.headers["NGSILD-Tenant"] == "lab"
    missing = client.get(REGS, params={"type": "Vehicle"}, headers={"NGSILD-Tenant": "nobody"})
    problem(missing, 404, "NonexistentTenant")
    # A restart reads them back from the store, names and times intact.
    from cctwin.ngsi.service import NgsiService

    again = NgsiService(services.ngsi_store, services.config.ngsi_ld)
    reg = again.registry.get(registration(1)["id"])
    assert reg.body == services.ngsi.registry.get(registration(1)["id"]).body
    assert reg.created_at == services.ngsi.registry.get(registration(1)["id"]).created_at


def test_local_true_is_accepted(client: TestClient) -> None:
    assert post(client, building(1)).status_code == 201
    assert (
        len(
            client.get(
                REGS, params={"type": "Building", "local": "true"}, headers={"Link": LINK}
            ).json()
        )
        == 1
    )
    problem(client.get(REGS, params={"type": "Building", "local": "maybe"}), 400, "BadRequestData")


def test_document_declares_the_registration_operations(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    create = paths[REGS]["post"]
    assert set(create["responses"]) >= {"201", "400", "409", "415"}
    assert set(create["requestBody"]["content"]) == {"application/json", "application/ld+json"}
    discovery = paths[REGS]["get"]
    assert set(discovery["responses"]["200"]["content"]) == {
        "application/json",
        "application/ld+json",
    }
    names = {p["name"] for p in discovery["parameters"]}
    assert {"type", "attrs", "q", "csf", "georel", "local", "count", "NGSILD-Tenant"} <= names
    one = paths[REGS + "/{reg_id}"]
    assert set(one) >= {"get", "patch", "delete"}
    assert set(one["patch"]["responses"]) >= {"204", "400", "404", "409"}
    subs = "/ngsi-ld/v1/csourceSubscriptions"
    assert set(paths[subs]["post"]["responses"]) >= {"201", "400", "409"}
    assert set(paths[subs + "/{sub_id}"]) >= {"get", "patch", "delete"}
    geo = client.get(REGS, params={"type": "Building"}, headers={"Accept": "application/geo+json"})
    problem(geo, 406, "NotAcceptable")
    refused = client.post(f"{REGS}/urn:ngsi-ld:ContextSourceRegistration:1")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


def test_51024_01_scope_query_on_the_registration_scope(client: TestClient) -> None:
    assert post(client, building(1, scope="/Madrid/Centro")).status_code == 201
    assert post(client, building(2, scope=["/Berlin", "/Madrid/Sol/Plaza"])).status_code == 201
    assert post(client, building(3)).status_code == 201  # no scope: no scopeQ matches it

    def ids(scope_q: str) -> list[str]:
        answer = client.get(
            REGS, params={"type": "Building", "scopeQ": scope_q}, headers={"Link": LINK}
        )
        assert answer.status_code == 200, answer.text
        return [r["id"].rsplit(":", 1)[1] for r in answer.json()]

    assert ids("/Madrid/#") == ["b1", "b2"]
    assert ids("/Madrid/Centro") == ["b1"]
    assert ids("/Madrid/+") == ["b1"]
    assert ids("/Madrid/+/Plaza") == ["b2"]
    assert ids("/Berlin;/Madrid/#") == ["b2"]
    assert ids("/Paris,/Berlin") == ["b2"]
    assert ids("/#") == ["b1", "b2"]
    problem(
        client.get(REGS, params={"type": "Building", "scopeQ": "Madrid"}), 400, "BadRequestData"
    )


def test_037_09_temporal_query_on_the_intervals(client: TestClient) -> None:
    interval = {"startAt": "2020-08-01T22:07:00Z", "endAt": "2021-08-01T21:07:00Z"}
    assert post(client, building(1, observationInterval=interval)).status_code == 201
    assert post(client, building(2, managementInterval=interval)).status_code == 201
    assert post(client, building(3)).status_code == 201

    def ids(**params: str) -> list[str]:
        answer = client.get(REGS, params={"type": "Building", **params}, headers={"Link": LINK})
        assert answer.status_code == 200, answer.text
        return [r["id"].rsplit(":", 1)[1] for r in answer.json()]

    before = {"timerel": "before", "timeAt": "2021-08-01T22:00:00Z"}
    assert ids(**before) == ["b1"]  # 037_09_02: observedAt by default
    assert ids(**before, timeproperty="observedAt") == ["b1"]  # 037_09_01
    assert ids(**before, timeproperty="createdAt") == ["b2"]  # 037_09_03
    assert ids(**before, timeproperty="modifiedAt") == ["b2"]  # 037_09_04
    assert ids(timerel="before", timeAt="2020-01-01T00:00:00Z") == []
    assert ids(timerel="after", timeAt="2021-08-01T22:00:00Z") == []
    assert ids(timerel="after", timeAt="2021-01-01T00:00:00Z") == ["b1"]
    between = {"timerel": "between", "timeAt": "2019-01-01T00:00:00Z"}
    assert ids(**between, endTimeAt="2020-09-01T00:00:00Z") == ["b1"]
    assert ids(**between, endTimeAt="2020-01-01T00:00:00Z") == []
    bad = client.get(
        REGS, params={"type": "Building", "timerel": "during", "timeAt": "2021-01-01T00:00:00Z"}
    )
    problem(bad, 400, "BadRequestData")
