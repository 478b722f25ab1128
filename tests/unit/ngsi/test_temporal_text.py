"""The normalized temporal answer from stored texts is the one built from parsed instances."""

from __future__ import annotations

import json

import orjson

from cctwin.ngsi.temporal import Instance, StoredInstances, normalized, normalized_text

BODIES = [
    '{"type": "Property", "value": 3}',  # json.dumps spacing, no observedAt
    '{"type":"Property","value":4,"observedAt":"2026-12-06T01:00:00.000Z"}',
    '{"type":"Property","value":{"observedAt":"nested, not the instance\'s"}}',
    "{}",
    '{"type":"Relationship","object":"urn:ngsi-ld:Camera:c1","unitCode":"C62"} ',
]


def test_texts_give_the_same_answer_as_parsed_instances() -> None:
    attrs = ["https://x/a"] * 3 + ["https://x/b"] * 2
    times = [1764982800.0, 1764982860.25, 1764982920.5, 1764982800.0, 1764982860.0]
    stored = StoredInstances(attrs, times, BODIES, [1, 2, 3, 4, 5])
    parsed = [
        Instance("urn:e", a, t, json.loads(b), None, k)
        for k, (a, t, b) in enumerate(zip(attrs, times, BODIES, strict=True), start=1)
    ]
    compact = lambda name: name.rsplit("/", 1)[-1]  # noqa: E731
    fast = orjson.loads(orjson.dumps(normalized_text(stored, compact)))
    assert fast == orjson.loads(orjson.dumps(normalized(parsed, compact)))
    assert fast["a"][1]["observedAt"] == "2026-12-06T01:00:00.000Z"  # its own kept
    assert fast["a"][2]["observedAt"] == "2025-12-06T01:02:00.500Z"
    assert fast["b"][0] == {
        "observedAt": "2025-12-06T01:00:00.000Z",
        "instanceId": "urn:ngsi-ld:Instance:4",
    }
