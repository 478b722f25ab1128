"""ETSI GS CIM 009 V1.8.1 details a conformance suite checks: headers, merge, datasetId."""

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

ERR = "https://uri.etsi.org/ngsi-ld/errors/"
TENANT = {"NGSILD-Tenant": "district2"}


def thing(n: int, **attrs: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": f"urn:ngsi-ld:Thing:{n}",
        "type": "Thing",
        "size": {"type": "Property", "value": n},
    }
    return body | attrs


def test_tenant_is_echoed_on_every_answer(client: TestClient) -> None:
    created = client.post("/ngsi-ld/v1/entities", json=thing(1), headers=TENANT)
    got = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1", headers=TENANT)
    missing = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:9", headers=TENANT)
    default = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1")
    assert created.status_code == 201
    assert created.headers["NGSILD-Tenant"] == "district2"
    assert got.headers["NGSILD-Tenant"] == "district2"
    assert missing.status_code == 404
    assert missing.headers["NGSILD-Tenant"] == "district2"
    assert default.status_code == 404
    assert "NGSILD-Tenant" not in default.headers


def test_count_and_pagination_links(client: TestClient) -> None:
    for n in range(5):
        assert client.post("/ngsi-ld/v1/entities", json=thing(n)).status_code == 201
    params = {"type": "Thing", "count": "true", "limit": "2", "offset": "2"}
    page = client.get("/ngsi-ld/v1/entities", params=params)
    assert page.status_code == 200
    assert page.headers["NGSILD-Results-Count"] == "5"
    assert len(page.json()) == 2
    link = page.headers["link"]
    assert "<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld>" in link
    assert "offset=0" in link
    assert 'rel="prev"' in link
    assert "offset=4" in link
    assert 'rel="next"' in link
    last = client.get("/ngsi-ld/v1/entities", params=params | {"offset": "4"})
    assert 'rel="next"' not in last.headers["link"]
    only_count = client.get("/ngsi-ld/v1/entities", params=params | {"limit": "0"})
    assert only_count.json() == []
    assert only_count.headers["NGSILD-Results-Count"] == "5"


def test_media_types(client: TestClient) -> None:
    client.post("/ngsi-ld/v1/entities", json=thing(1))
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1"
    ld = client.get(url, headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"].startswith("application/ld+json")
    assert "link" not in ld.headers
    refused = client.get(url, headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json()["type"] == ERR + "NotAcceptable"
    wrong = client.post(
        "/ngsi-ld/v1/entities", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert wrong.status_code == 415
    assert wrong.json()["type"] == ERR + "UnsupportedMediaType"


def test_merge_entity_keeps_sub_attributes_and_null_deletes(client: TestClient) -> None:
    unit = {"type": "Property", "value": 3, "unitCode": "MTR", "accuracy": {"value": 0.1}}
    client.post("/ngsi-ld/v1/entities", json=thing(1, size=unit, colour="red"))
    merged = client.patch(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1",
        json={"size": {"type": "Property", "value": 4}, "colour": "urn:ngsi-ld:null", "age": 2},
    )
    assert merged.status_code == 204
    body = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1").json()
    assert body["size"]["value"] == 4
    assert body["size"]["unitCode"] == "MTR"
    assert body["size"]["accuracy"]["value"] == 0.1
    assert "colour" not in body
    assert body["age"] == {"type": "Property", "value": 2}
    missing = client.patch("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:9", json={"age": 1})
    assert missing.status_code == 404


def test_replace_attribute(client: TestClient) -> None:
    unit = {"type": "Property", "value": 3, "unitCode": "MTR"}
    client.post("/ngsi-ld/v1/entities", json=thing(1, size=unit))
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1/attrs/size"
    assert client.put(url, json={"type": "Property", "value": 7}).status_code == 204
    assert client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1").json()["size"] == {
        "type": "Property",
        "value": 7,
    }
    other = client.put(url.replace("size", "weight"), json={"value": 1})
    assert other.status_code == 404
    assert other.json()["type"] == ERR + "ResourceNotFound"


def test_batch_merge(client: TestClient) -> None:
    client.post("/ngsi-ld/v1/entities", json=thing(1, colour="red"))
    ok = client.post(
        "/ngsi-ld/v1/entityOperations/merge",
        json=[
            {"id": "urn:ngsi-ld:Thing:1", "colour": "blue", "size": {"unitCode": "MTR", "value": 2}}
        ],
    )
    assert ok.status_code == 204
    body = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1").json()
    assert body["colour"]["value"] == "blue"
    assert body["size"] == {"type": "Property", "value": 2, "unitCode": "MTR"}
    partial = client.post(
        "/ngsi-ld/v1/entityOperations/merge",
        json=[{"id": "urn:ngsi-ld:Thing:1", "age": 3}, {"id": "urn:ngsi-ld:Thing:9", "age": 3}],
    )
    assert partial.status_code == 207
    result = partial.json()
    assert result["success"] == ["urn:ngsi-ld:Thing:1"]
    assert result["errors"][0]["entityId"] == "urn:ngsi-ld:Thing:9"
    assert result["errors"][0]["error"]["status"] == 404


def test_dataset_ids_are_stored_and_returned(client: TestClient) -> None:
    speeds = [
        {"type": "Property", "value": 30},
        {"type": "Property", "value": 31, "datasetId": "urn:ngsi-ld:Dataset:radar"},
    ]
    created = client.post("/ngsi-ld/v1/entities", json=thing(1, speed=speeds))
    assert created.status_code == 201
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1"
    assert client.get(url).json()["speed"] == speeds
    appended = client.post(
        url + "/attrs",
        json={"speed": {"type": "Property", "value": 32, "datasetId": "urn:ngsi-ld:Dataset:gps"}},
    )
    assert appended.status_code == 204
    assert [s["value"] for s in client.get(url).json()["speed"]] == [30, 31, 32]
    updated = client.patch(
        url + "/attrs",
        json={"speed": {"value": 41, "datasetId": "urn:ngsi-ld:Dataset:radar"}},
    )
    assert updated.status_code == 204
    not_there = client.patch(
        url + "/attrs", json={"speed": {"value": 1, "datasetId": "urn:ngsi-ld:Dataset:none"}}
    )
    assert not_there.status_code == 207
    assert client.get(url, params={"q": "speed==30"}).status_code == 200
    gone = client.delete(url + "/attrs/speed", params={"datasetId": "urn:ngsi-ld:Dataset:gps"})
    assert gone.status_code == 204
    assert [s["value"] for s in client.get(url).json()["speed"]] == [30, 41]
    assert client.delete(url + "/attrs/speed").status_code == 204
    assert client.get(url).json()["speed"] == {
        "type": "Property",
        "value": 41,
        "datasetId": "urn:ngsi-ld:Dataset:radar",
    }
    assert client.delete(url + "/attrs/speed", params={"deleteAll": "true"}).status_code == 204
    assert "speed" not in client.get(url).json()
    twice = thing(2, speed=[speeds[1], speeds[1]])
    refused = client.post("/ngsi-ld/v1/entities", json=twice)
    assert refused.status_code == 400
    assert refused.json()["type"] == ERR + "BadRequestData"


def test_query_language_details(client: TestClient) -> None:
    seen = {"type": "Property", "value": "a b", "observedAt": "2026-12-06T10:00:00Z"}
    client.post("/ngsi-ld/v1/entities", json=thing(1, name=seen, dims={"value": {"w": 2}}))
    client.post("/ngsi-ld/v1/entities", json=thing(2, name="c", dims={"value": {"w": 5}}))
    client.post("/ngsi-ld/v1/entities", json=thing(3, name="d"))

    def ids(q: str) -> list[int]:
        found = client.get("/ngsi-ld/v1/entities", params={"type": "Thing", "q": q})
        assert found.status_code == 200, found.text
        return sorted(int(e["id"].rsplit(":", 1)[1]) for e in found.json())

    assert ids('name=="a b"') == [1]
    assert ids('name=="a b","c"') == [1, 2]
    assert ids("size==1..2") == [1, 2]
    assert ids("size==1,3") == [1, 3]
    assert ids("(size==1|size==3);name~=d") == [3]
    assert ids("dims[w]>=3") == [2]
    assert ids("name.observedAt>=2026-12-06T19:00:00+09:00") == [1]
    assert ids("name.observedAt>2026-12-06T10:00:00.000Z") == []
    assert ids("dims") == [1, 2]
    bad = client.get("/ngsi-ld/v1/entities", params={"type": "Thing", "q": "size==(1"})
    assert bad.status_code == 400
    assert bad.json()["type"] == ERR + "BadRequestData"


def test_pick_omit_format_and_lang(client: TestClient) -> None:
    names = {"type": "LanguageProperty", "languageMap": {"ko": "공덕", "en": "Gongdeok"}}
    client.post("/ngsi-ld/v1/entities", json=thing(1, label=names, colour="red"))
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:1"
    assert client.get(url, params={"pick": "id,colour"}).json() == {
        "id": "urn:ngsi-ld:Thing:1",
        "colour": {"type": "Property", "value": "red"},
    }
    assert set(client.get(url, params={"omit": "label,size"}).json()) == {"id", "type", "colour"}
    simple = client.get(url, params={"format": "simplified"}).json()
    assert simple["size"] == 1
    assert client.get(url, params={"format": "concise"}).json()["colour"] == "red"
    assert client.get(url, params={"format": "normalized", "options": "keyValues"}).json()[
        "size"
    ] == {"type": "Property", "value": 1}
    assert client.get(url, params={"format": "tabular"}).status_code == 400
    english = client.get(url, params={"lang": "en"}).json()["label"]
    assert english == {"type": "Property", "value": "Gongdeok", "lang": "en"}
    assert client.get(url, params={"lang": "fr", "format": "simplified"}).json()["label"] == "공덕"


def test_unknown_tenant_is_nonexistent_tenant(client: TestClient) -> None:
    missing = client.get("/ngsi-ld/v1/entities", params={"type": "Thing"}, headers=TENANT)
    assert missing.status_code == 404
    assert missing.json()["type"] == ERR + "NonexistentTenant"
    bad = client.get("/ngsi-ld/v1/entities", params={"type": "T"}, headers={"NGSILD-Tenant": "a/b"})
    assert bad.status_code == 400
    assert bad.json()["type"] == ERR + "BadRequestData"


def test_odd_input_is_a_4xx_never_a_5xx(client: TestClient) -> None:
    ld = {"Content-Type": "application/ld+json"}
    for context in (7.5, True, [1]):
        body = {**thing(1), "@context": context}
        answer = client.post("/ngsi-ld/v1/entities", json=body, headers=ld)
        assert answer.status_code == 400, answer.text
    odd = client.post("/ngsi-ld/v1/entities", json=thing(1) | {"id": "urn:x:\u00ea\u001b"})
    assert odd.status_code == 201
    assert odd.headers["location"] == "/ngsi-ld/v1/entities/urn:x:%C3%AA%1B"
    refused = client.get(
        "/ngsi-ld/v1/entities", params={"type": "T"}, headers={"NGSILD-Tenant": "a b"}
    )
    assert refused.status_code == 400
    assert "NGSILD-Tenant" not in refused.headers
