"""/ngsi-ld/v1/temporal/entities: every attribute change is kept; windows, lastN, aggregation."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cctwin.app import Services
from cctwin.ngsi.temporal import duration_s

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

ID = "urn:ngsi-ld:CrowdFlowObserved:cam:a"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def at(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill(client: TestClient) -> None:
    ops = "/ngsi-ld/v1/entityOperations/upsert"
    for minute, count in enumerate([10, 20, 30, 40, 50, 60]):
        body = {
            "id": ID,
            "type": "CrowdFlowObserved",
            "peopleCount": {"type": "Property", "value": count, "observedAt": at(minute)},
        }
        assert client.post(ops, json=[body]).status_code in (201, 204)


def test_history_window_and_last_n(client: TestClient) -> None:
    _fill(client)
    url = f"/ngsi-ld/v1/temporal/entities/{ID}"
    everything = client.get(url).json()
    assert [i["value"] for i in everything["peopleCount"]] == [10, 20, 30, 40, 50, 60]
    window = client.get(
        url, params={"timerel": "between", "timeAt": at(1), "endTimeAt": at(4)}
    ).json()
    assert [i["value"] for i in window["peopleCount"]] == [20, 30, 40]
    before = client.get(url, params={"timerel": "before", "timeAt": at(2)}).json()
    assert [i["value"] for i in before["peopleCount"]] == [10, 20]
    last = client.get(url, params={"lastN": 2}).json()
    assert [i["value"] for i in last["peopleCount"]] == [50, 60]
    simple = client.get(url, params={"options": "temporalValues", "lastN": 1}).json()
    assert simple["peopleCount"] == {
        "type": "Property",
        "values": [[60, "2026-12-01T00:05:00Z"]],
    }


def test_aggregation_per_period(client: TestClient) -> None:
    _fill(client)
    response = client.get(
        f"/ngsi-ld/v1/temporal/entities/{ID}",
        params={
            "options": "aggregatedValues",
            "aggrMethods": "avg,max,sum",
            "aggrPeriodDuration": "PT3M",
            "timerel": "after",
            "timeAt": at(0),
        },
    )
    body = response.json()["peopleCount"]
    assert [v[0] for v in body["avg"]] == [20.0, 50.0]
    assert [v[0] for v in body["max"]] == [30.0, 60.0]
    assert body["sum"][0][1:] == ["2026-12-01T00:00:00Z", "2026-12-01T00:03:00Z"]


def test_temporal_query_by_type_and_bad_parameters(client: TestClient) -> None:
    _fill(client)
    found = client.get(
        "/ngsi-ld/v1/temporal/entities", params={"type": "CrowdFlowObserved", "lastN": 1}
    )
    assert found.json()[0]["peopleCount"][0]["value"] == 60
    url = f"/ngsi-ld/v1/temporal/entities/{ID}"
    for params in (
        {"timerel": "between", "timeAt": at(1)},
        {"timerel": "sometime", "timeAt": at(1)},
        {"timerel": "after"},
        {"lastN": "0"},
        {"options": "aggregatedValues", "aggrMethods": "median"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1 minute"},
    ):
        response = client.get(url, params=params)
        assert response.status_code == 400, params
        assert response.json()["type"].endswith("BadRequestData")
    assert client.get("/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:X:none").status_code == 404


def test_retention_prunes_old_instances(client: TestClient, services: Services) -> None:
    _fill(client)
    pruned = services.ngsi.broker.prune(T0 + timedelta(minutes=3))
    assert pruned == 3
    history = client.get(f"/ngsi-ld/v1/temporal/entities/{ID}").json()
    assert [i["value"] for i in history["peopleCount"]] == [40, 50, 60]


def test_whole_range_aggregation_and_stddev(client: TestClient) -> None:
    _fill(client)
    body = client.get(
        f"/ngsi-ld/v1/temporal/entities/{ID}",
        params={
            "options": "aggregatedValues",
            "aggrMethods": "avg,totalCount,min,stddev,distinctCount",
        },
    ).json()["peopleCount"]
    assert body["avg"][0][0] == 35.0
    assert body["totalCount"][0][0] == 6
    assert body["min"][0][0] == 10
    assert body["distinctCount"][0][0] == 6
    assert abs(body["stddev"][0][0] - 17.0782512765993) < 1e-9
    assert body["avg"][0][1] == "2026-12-01T00:00:00Z"


def test_duration() -> None:
    assert duration_s("PT1M") == 60
    assert duration_s("P1DT1H") == 90000


def test_old_history_becomes_one_minute_averages(client: TestClient, services: Services) -> None:
    ops = "/ngsi-ld/v1/entityOperations/upsert"
    for second, count in [(0, 10), (20, 20), (40, 30), (60, 100), (61, 50)]:
        stamp = (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "id": ID,
            "type": "CrowdFlowObserved",
            "peopleCount": {"type": "Property", "value": count, "observedAt": stamp},
            "riskLevel": {"type": "Property", "value": "normal", "observedAt": stamp},
        }
        client.post(ops, json=[body])
    summarised = services.ngsi.broker.retain(T0 + timedelta(minutes=5), T0 - timedelta(days=1))
    assert summarised == 10
    history = client.get(f"/ngsi-ld/v1/temporal/entities/{ID}").json()
    assert [(i["value"], i["observedAt"]) for i in history["peopleCount"]] == [
        (20.0, "2026-12-01T00:00:00.000Z"),
        (75.0, "2026-12-01T00:01:00.000Z"),
    ]
    # Not a number: nothing to average, so each minute keeps its last level.
    assert [i["value"] for i in history["riskLevel"]] == ["normal", "normal"]
    services.ngsi.broker.retain(T0 + timedelta(minutes=5), T0 + timedelta(minutes=1))
    history = client.get(f"/ngsi-ld/v1/temporal/entities/{ID}").json()
    assert [i["value"] for i in history["peopleCount"]] == [75.0]


def test_an_upsert_records_only_the_attributes_it_writes(client: TestClient) -> None:
    _fill(client)
    body = {"id": ID, "type": "CrowdFlowObserved", "density": {"type": "Property", "value": 1.5}}
    twice = [body, {**body, "density": {"type": "Property", "value": 2.5}}]
    # options=update: the others stay (an upsert replaces the entity by default, 5.6.8).
    ops = "/ngsi-ld/v1/entityOperations/upsert"
    assert client.post(ops, json=twice, params={"options": "update"}).status_code == 204
    history = client.get(f"/ngsi-ld/v1/temporal/entities/{ID}").json()
    assert len(history["peopleCount"]) == 6
    assert [i["value"] for i in history["density"]] == [1.5, 2.5]
    now = client.get(f"/ngsi-ld/v1/entities/{ID}", params={"options": "keyValues"}).json()
    assert now["density"] == 2.5
    assert now["peopleCount"] == 60


def test_post_temporal_entity_creates_history(client: TestClient) -> None:
    body = {
        "id": "urn:ngsi-ld:RiverLevel:han-1",
        "type": "RiverLevel",
        "level": [
            {"type": "Property", "value": 1.2, "observedAt": at(0)},
            {"type": "Property", "value": 1.9, "observedAt": at(2)},
            {"type": "Property", "value": 1.5, "observedAt": at(1)},
        ],
        "name": {"type": "Property", "value": "Han river, Mapo bridge"},
    }
    created = client.post("/ngsi-ld/v1/temporal/entities", json=body)
    assert created.status_code == 201
    url = "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:RiverLevel:han-1"
    history = client.get(url, params={"attrs": "level"}).json()
    assert [i["value"] for i in history["level"]] == [1.2, 1.5, 1.9]
    current = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:RiverLevel:han-1").json()
    assert current["level"]["value"] == 1.9
    assert current["name"]["value"] == "Han river, Mapo bridge"
    more = {
        "id": body["id"],
        "type": "RiverLevel",
        "level": [{"type": "Property", "value": 2.2, "observedAt": at(3)}],
    }
    assert client.post("/ngsi-ld/v1/temporal/entities", json=more).status_code == 204
    assert len(client.get(url, params={"attrs": "level"}).json()["level"]) == 4
    assert (
        client.post("/ngsi-ld/v1/temporal/entities", json={**more, "level": []}).status_code == 400
    )
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
