"""JSON Schemas of NGSI-LD bodies for the OpenAPI document: what the broker checks first."""

from __future__ import annotations

from typing import Any

PREFIX = "/ngsi-ld/v1"
JSON = "application/json"
LD = "application/ld+json"
GEO = "application/geo+json"
PROBLEM_REF = {"$ref": "#/components/schemas/NgsiProblem"}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 7807 problem details with an NGSI-LD error type (CIM 009 5.5.2)",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title"],
}
OBJECT: dict[str, Any] = {"type": "object"}
# What the broker checks first, so a request that fits the document is not refused for it.
URI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$"}
NAME = {"type": "string", "pattern": r"^[^\s<>\"'=;()\[\]]+$"}
ENTITY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": URI,
        "type": {"oneOf": [NAME, {"type": "array", "items": NAME, "minItems": 1}]},
    },
}
FRAGMENT: dict[str, Any] = {"type": "object", "properties": {"id": URI}}
QUERY_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"const": "Query"}},
}
KEY_VALUES: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["key", "value"],
        "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
    },
}
NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
SUBSCRIPTION: dict[str, Any] = {
    "type": "object",
    "required": ["type", "notification"],
    "properties": {
        "id": URI,
        "type": {"const": "Subscription"},
        "notification": {
            "type": "object",
            "required": ["endpoint"],
            "properties": {
                "endpoint": {
                    "type": "object",
                    "required": ["uri"],
                    "properties": {
                        "uri": {**URI, "description": "http(s):// or mqtt(s)://host/topic"},
                        "receiverInfo": KEY_VALUES,
                        "notifierInfo": {
                            **KEY_VALUES,
                            "description": "MQTT-QoS (0, 1, 2), MQTT-Version",
                        },
                    },
                },
                "attributes": NAMES,
                "pick": NAMES,
                "omit": NAMES,
            },
        },
    },
}
IDENTITY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "contextSourceAlias", "contextSourceUptime", "contextSourceTimeAt"],
    "properties": {
        "id": URI,
        "type": {"const": "ContextSourceIdentity"},
        "contextSourceAlias": {"type": "string"},
        "contextSourceUptime": {"type": "string", "description": "ISO 8601 duration"},
        "contextSourceTimeAt": {"type": "string", "format": "date-time"},
    },
}
REGISTRATION: dict[str, Any] = {
    "type": "object",
    "required": ["type", "information", "endpoint"],
    "properties": {
        "id": URI,
        "type": {"const": "ContextSourceRegistration"},
        "endpoint": URI,
        "information": {"type": "array", "items": OBJECT, "minItems": 1},
        "mode": {"enum": ["inclusive", "exclusive", "redirect", "auxiliary"]},
        "operations": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "expiresAt": {"type": "string", "format": "date-time"},
    },
}
BATCH: dict[str, Any] = {
    "anyOf": [
        {"type": "array", "items": ENTITY, "description": "create, upsert"},
        {"type": "array", "items": FRAGMENT, "description": "update, merge"},
        {"type": "array", "items": URI, "description": "delete: entity ids"},
    ]
}
ARRAY: dict[str, Any] = {"type": "array", "items": OBJECT}
ANY: dict[str, Any] = {}
