"""Sample bodies and helpers of the NGSI-LD conformance tests (not a test module)."""

from __future__ import annotations

from fastapi.testclient import TestClient

ERR = "https://uri.etsi.org/ngsi-ld/errors/"
CTX = "/ngsi-ld/v1/jsonldContexts"
JSON_TYPE = {"Content-Type": "application/json"}
MINIMAL = {"@context": {"A1": "urn:ngsi-ld:attributes:A1", "A2": "urn:ngsi-ld:attributes:A2"}}
SUBS = "/ngsi-ld/v1/subscriptions"
ENTITIES = "/ngsi-ld/v1/entities"


def add(client: TestClient, body: object) -> str:
    created = client.post(CTX, json=body)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.startswith(CTX + "/")
    return location


def building(n: int = 1, **extra: object) -> dict[str, object]:
    return {
        "id": f"urn:ngsi-ld:Building:{n}",
        "type": "Building",
        "name": {"type": "Property", "value": "Gongdeok"},
        "airQualityLevel": {"type": "Property", "value": 4, "unitCode": "C62"},
        "description": {"type": "LanguageProperty", "languageMap": {"en": "tower", "ko": "탑"}},
        "scope": "/Seoul/Mapo",
        **extra,
    }


def watch(
    uri: str, sub_id: str = "urn:ngsi-ld:Subscription:b", **extra: object
) -> dict[str, object]:
    notification = extra.pop("notification", {})
    assert isinstance(notification, dict)
    endpoint = {"uri": uri, **notification.pop("endpoint", {})}
    return {
        "id": sub_id,
        "type": "Subscription",
        "entities": [{"type": "Building"}],
        "notification": {"endpoint": endpoint, **notification},
        **extra,
    }


def change_quality(client: TestClient, value: int = 5) -> None:
    fragment = {"airQualityLevel": {"type": "Property", "value": value}}
    answer = client.patch(f"{ENTITIES}/urn:ngsi-ld:Building:1/attrs", json=fragment)
    assert answer.status_code == 204, answer.text


def vehicle() -> dict[str, object]:
    return {
        "id": "urn:ngsi-ld:Vehicle:1",
        "type": "Vehicle",
        "speed": [
            {"type": "Property", "value": 10},
            {"type": "Property", "value": 99, "datasetId": "urn:ngsi-ld:Dataset:gps"},
        ],
    }
