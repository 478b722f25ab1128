"""The NGSI-LD part of the OpenAPI document, told as the routes answer (CIM 009 clause 6).

The routes read their bodies and parameters themselves (JSON-LD is open JSON), so FastAPI
cannot see what they take or give; this table states it: statuses, media types, problem
details, the query parameters and headers each operation reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from cctwin.api.routes.ngsi_schemas import (
    ANY,
    ARRAY,
    BATCH,
    ENTITY,
    GEO,
    IDENTITY,
    JSON,
    LD,
    OBJECT,
    PREFIX,
    PROBLEM_REF,
    PROBLEM_SCHEMA,
    QUERY_BODY,
    REGISTRATION,
    SUBSCRIPTION,
    URI,
)

_ERRORS = {
    "400": "BadRequestData or InvalidRequest (bad body, parameter, query or tenant name)",
    "401": "no credentials",
    "403": "not allowed for this user, or TooManyResults / TooComplexQuery",
    "404": "ResourceNotFound, or NonexistentTenant for an unknown NGSILD-Tenant",
    "405": "method not allowed here (Allow lists those that are)",
    "406": "NotAcceptable: Accept names no type this operation answers in",
    "409": "AlreadyExists, or Conflict: a registration over an exclusive one or local data",
    "411": "Length Required: a body sent without Content-Length (no problem details)",
    "415": "UnsupportedMediaType: the body is not application/json or application/ld+json",
    "422": "OperationNotSupported",
    "503": "LdContextNotAvailable: the @context named in the Link header cannot be loaded",
    "504": "the only context source a write went to (redirect) did not answer",
    "508": "LoopDetected: the Via header already names this broker (CIM 009 6.3.18)",
}
READ = ("400", "401", "403", "404", "405", "406", "503", "508")
WRITE = ("400", "401", "403", "404", "405", "411", "415", "503", "508")
DELETE = ("400", "401", "403", "404", "405", "508")
# Writes shared with registered context sources (4.3.6): 207 when only some parts succeeded,
# 504 when the one source a write went to did not answer; `local=true` keeps them here.
FORWARDED = ("504",)

_HEADERS = [
    {
        "name": "NGSILD-Tenant",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": r"^$|^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"},
        "description": "the tenant (CIM 009 4.14); echoed in the answer",
    },
    {
        "name": "Link",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "the JSON-LD @context of an application/json request",
    },
    {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "`body=json`: a GeoJSON answer leaves its @context to the Link header "
        "(6.3.6); `ngsi-ld=<version>`: honoured on subscriptions, which every version shows "
        "alike (Preference-Applied)",
    },
    {
        "name": "Via",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "brokers a forwarded request went through (6.3.18): this broker adds "
        "itself when it forwards, answers 508 when it is already named",
    },
]
_PAGE = ["limit", "offset", "count"]
_QUERY = [
    "id",
    "type",
    "idPattern",
    "attrs",
    "q",
    "scopeQ",
    "csf",
    "datasetId",
    "georel",
    "geometry",
    "coordinates",
    "geoproperty",
    "geometryProperty",
    "pick",
    "omit",
    "options",
    "format",
    "lang",
]
_ONE = ["attrs", "pick", "omit", "options", "format", "lang", "geometryProperty", "datasetId"]
_TEMPORAL = [
    "timerel",
    "timeAt",
    "endTimeAt",
    "timeproperty",
    "lastN",
    "aggrMethods",
    "aggrPeriodDuration",
]
_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 0},
    "offset": {"type": "integer", "minimum": 0},
    "count": {"type": "boolean"},
    "local": {"type": "boolean"},
    "splitEntities": {"type": "boolean"},
    "format": {"type": "string", "enum": ["normalized", "concise", "simplified", "keyValues"]},
    "lastN": {"type": "integer", "minimum": 1},
    "q": {"type": "string", "minLength": 1},
    "datasetId": {"type": "string", "description": "datasetIds (URIs) or @none, comma-separated"},
    "details": {"type": "boolean"},
    "reload": {"type": "boolean"},
    "kind": {"type": "string", "enum": ["Hosted", "Cached", "ImplicitlyCreated"]},
    "deleteAll": {"type": "boolean"},
    "georel": {
        "type": "string",
        "pattern": r"^(near;(max|min)Distance==\d+(\.\d+)?|within|contains|intersects|equals|disjoint|overlaps)$",
    },
    "geometry": {
        "type": "string",
        "enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"],
    },
    "timerel": {"type": "string", "enum": ["before", "after", "between"]},
    "timeAt": {"type": "string", "format": "date-time"},
    "endTimeAt": {"type": "string", "format": "date-time"},
}
_PATH_PARAMS = {"entity_id": URI, "sub_id": URI, "reg_id": URI, "instance_id": URI}
# Discovery (5.10.2): what the registered sources could supply; csf on their own properties.
_DISCOVERY = [
    "id",
    "type",
    "idPattern",
    "attrs",
    "q",
    "csf",
    "georel",
    "geometry",
    "coordinates",
    "geoproperty",
    "scopeQ",
    "timerel",
    "timeAt",
    "endTimeAt",
    "timeproperty",
    "options",
    "local",
]
_DISCOVERY_LIST = ["details", "local", "count"]
CONTEXT_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["@context"],
    "properties": {"@context": {}},
    "additionalProperties": False,
}


def _found(schema: dict[str, Any], geo: bool = True) -> dict[str, Any]:
    content = {JSON: {"schema": schema}, LD: {"schema": schema}}
    if geo:
        content[GEO] = {"schema": OBJECT}
    return {
        "description": "found (the @context in a Link header unless ld+json)",
        "content": content,
    }


def _warned(found: dict[str, Any]) -> dict[str, Any]:
    """A distributed read's answer: it names the sources that answered abnormally."""
    warning = {
        "description": '6.3.17: `299 <host> "..."` an error answer, `111` an invalid '
        "payload, `199` no answer in time, one per registered source",
        "schema": {"type": "string"},
    }
    return {**found, "headers": {"NGSILD-Warning": warning}}


_NONE = {"description": "done"}
_CREATED = {"description": "created (Location names it)"}
_SHARED = {
    "description": "done in part: here and at registered context sources (UpdateResult for "
    "attributes, success and errors for entities; errors of a source name its registrationId)",
    "content": {JSON: {"schema": OBJECT}},
}

_SHARED_DONE = {"204": _NONE, "207": _SHARED}

# (path, method) -> success responses, error statuses, query parameters, body schema.
Operation = tuple[dict[str, Any], tuple[str, ...], list[str], dict[str, Any] | None]
_OPS: dict[tuple[str, str], Operation] = {
    ("/entities", "get"): (
        {"200": _warned(_found(ARRAY))},
        READ,
        [*_QUERY, *_PAGE, "local", "splitEntities"],
        None,
    ),
    ("/entities", "post"): (
        {"201": _CREATED, "207": _SHARED},
        (*WRITE, *FORWARDED, "409"),
        ["local"],
        ENTITY,
    ),
    ("/entities/{entity_id}", "get"): (
        {"200": _warned(_found(OBJECT))},
        READ,
        [*_ONE, "local"],
        None,
    ),
    ("/entities/{entity_id}", "put"): (_SHARED_DONE, (*WRITE, *FORWARDED), ["local"], OBJECT),
    ("/entities/{entity_id}", "patch"): (_SHARED_DONE, (*WRITE, *FORWARDED), ["local"], OBJECT),
    ("/entities/{entity_id}", "delete"): (_SHARED_DONE, (*DELETE, *FORWARDED), ["local"], None),
    ("/entities/{entity_id}/attrs", "post"): (
        _SHARED_DONE,
        (*WRITE, *FORWARDED),
        ["options", "local"],
        OBJECT,
    ),
    ("/entities/{entity_id}/attrs", "patch"): (
        _SHARED_DONE,
        (*WRITE, *FORWARDED),
        ["local"],
        OBJECT,
    ),
    ("/entities/{entity_id}/attrs/{attr}", "put"): (
        _SHARED_DONE,
        (*WRITE, *FORWARDED),
        ["local"],
        OBJECT,
    ),
    ("/entities/{entity_id}/attrs/{attr}", "patch"): (
        _SHARED_DONE,
        (*WRITE, *FORWARDED),
        ["local"],
        OBJECT,
    ),
    ("/entities/{entity_id}/attrs/{attr}", "delete"): (
        _SHARED_DONE,
        (*DELETE, *FORWARDED),
        ["datasetId", "deleteAll", "local"],
        None,
    ),
    ("/entityOperations/query", "post"): (
        {"200": _found(ARRAY)},
        (*READ, "415"),
        [*_PAGE, *_ONE, "local"],
        QUERY_BODY,
    ),
    ("/entityOperations/{operation}", "post"): (
        {
            "201": {
                "description": "created: their ids",
                "content": {JSON: {"schema": {"type": "array", "items": {"type": "string"}}}},
            },
            "204": _NONE,
            "207": _SHARED,
        },
        (*WRITE, "422"),
        ["local"],
        BATCH,
    ),
    ("/temporal/entities", "get"): (
        {"200": _found(ARRAY, geo=False)},
        READ,
        [*_QUERY, *_PAGE, *_TEMPORAL, "local"],
        None,
    ),
    ("/temporal/entities", "post"): (
        {"201": _CREATED, "204": _NONE, "207": _SHARED},
        (*WRITE, *FORWARDED),
        ["local"],
        ENTITY,
    ),
    ("/temporal/entities/{entity_id}", "get"): (
        {"200": _found(OBJECT, geo=False)},
        READ,
        [*_ONE, *_TEMPORAL, "local"],
        None,
    ),
    ("/temporal/entities/{entity_id}", "delete"): (
        _SHARED_DONE,
        (*DELETE, *FORWARDED),
        ["local"],
        None,
    ),
    # Temporal attribute edits (6.20-6.22) and the POST temporal query (6.24): this broker's.
    ("/temporal/entities/{entity_id}/attrs", "post"): ({"204": _NONE}, WRITE, [], OBJECT),
    ("/temporal/entities/{entity_id}/attrs/{attr}", "delete"): (
        {"204": _NONE},
        DELETE,
        ["datasetId", "deleteAll"],
        None,
    ),
    ("/temporal/entities/{entity_id}/attrs/{attr}/{instance_id}", "patch"): (
        {"204": _NONE},
        WRITE,
        [],
        OBJECT,
    ),
    ("/temporal/entities/{entity_id}/attrs/{attr}/{instance_id}", "delete"): (
        {"204": _NONE},
        DELETE,
        [],
        None,
    ),
    ("/temporal/entityOperations/query", "post"): (
        {"200": _found(ARRAY, geo=False)},
        (*READ, "411", "415"),
        [*_PAGE, *_ONE],
        QUERY_BODY,
    ),
    ("/subscriptions", "get"): ({"200": _found(ARRAY, geo=False)}, READ, _PAGE, None),
    ("/subscriptions", "post"): ({"201": _CREATED}, (*WRITE, "409"), [], SUBSCRIPTION),
    ("/subscriptions/{sub_id}", "get"): ({"200": _found(OBJECT, geo=False)}, READ, [], None),
    ("/subscriptions/{sub_id}", "patch"): ({"204": _NONE}, WRITE, [], OBJECT),
    ("/subscriptions/{sub_id}", "delete"): ({"204": _NONE}, DELETE, [], None),
    ("/csourceRegistrations", "get"): (
        {"200": _found(ARRAY, geo=False)},
        READ,
        _DISCOVERY + _PAGE,
        None,
    ),
    ("/csourceRegistrations", "post"): ({"201": _CREATED}, (*WRITE, "409"), [], REGISTRATION),
    ("/csourceRegistrations/{reg_id}", "get"): (
        {"200": _found(OBJECT, geo=False)},
        READ,
        ["options"],
        None,
    ),
    ("/csourceRegistrations/{reg_id}", "patch"): ({"204": _NONE}, (*WRITE, "409"), [], OBJECT),
    ("/csourceRegistrations/{reg_id}", "delete"): ({"204": _NONE}, DELETE, [], None),
    ("/csourceSubscriptions", "get"): ({"200": _found(ARRAY, geo=False)}, READ, _PAGE, None),
    ("/csourceSubscriptions", "post"): ({"201": _CREATED}, (*WRITE, "409"), [], SUBSCRIPTION),
    ("/csourceSubscriptions/{sub_id}", "get"): (
        {"200": _found(OBJECT, geo=False)},
        READ,
        [],
        None,
    ),
    ("/csourceSubscriptions/{sub_id}", "patch"): ({"204": _NONE}, WRITE, [], OBJECT),
    ("/csourceSubscriptions/{sub_id}", "delete"): ({"204": _NONE}, DELETE, [], None),
    # Discovery (6.25-6.28): another query parameter is InvalidRequest.
    ("/types", "get"): ({"200": _found(ANY, geo=False)}, READ, _DISCOVERY_LIST, None),
    ("/types/{type_name}", "get"): ({"200": _found(OBJECT, geo=False)}, READ, ["local"], None),
    ("/attributes", "get"): ({"200": _found(ANY, geo=False)}, READ, _DISCOVERY_LIST, None),
    ("/attributes/{attr}", "get"): ({"200": _found(OBJECT, geo=False)}, READ, ["local"], None),
    ("/info/sourceIdentity", "get"): (
        {
            "200": {
                "description": "this context source (V1.9 5.2.40); the alias names the tenant",
                "content": {JSON: {"schema": IDENTITY}, LD: {"schema": IDENTITY}},
            }
        },
        ("401", "403", "406"),
        [],
        None,
    ),
    ("/jsonldContexts", "post"): (
        {"201": _CREATED},
        ("400", "401", "403", "411", "415", "503"),
        [],
        CONTEXT_BODY,
    ),
    ("/jsonldContexts", "get"): (
        {
            "200": {
                "description": "URLs, or ContextInfo objects with details",
                "content": {JSON: {"schema": ARRAY}},
            }
        },
        ("400", "401", "403"),
        ["details", "kind"],
        None,
    ),
    ("/jsonldContexts/{context_id}", "get"): (
        {
            "200": {
                "description": "the @context document, or its ContextInfo with details",
                "content": {LD: {"schema": OBJECT}, JSON: {"schema": OBJECT}},
            }
        },
        ("400", "401", "403", "404"),
        ["details"],
        None,
    ),
    ("/jsonldContexts/{context_id}", "delete"): (
        {"204": _NONE},
        (*DELETE, "503"),
        ["reload"],
        None,
    ),
}


def _param(name: str, path: str) -> dict[str, Any]:
    schema = _PARAM_SCHEMAS.get(name, {"type": "string"})
    if name == "format" and path.startswith("/temporal/"):
        shapes = ["normalized", "temporalValues", "aggregatedValues"]
        schema = {"type": "string", "enum": shapes}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def install_document(app: FastAPI) -> None:
    """Complete the NGSI-LD operations of the app's OpenAPI document when it is built."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def document() -> dict[str, Any]:
        return complete(build())  # idempotent: the cached document is completed in place

    app.openapi = document  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["NgsiProblem"] = PROBLEM_SCHEMA
    for (path, method), (successes, errors, params, body) in _OPS.items():
        operation = document.get("paths", {}).get(PREFIX + path, {}).get(method)
        if operation is None:
            continue
        responses: dict[str, Any] = dict(successes)
        for status in errors:
            problem = {"schema": PROBLEM_REF if status not in ("401", "403") else OBJECT}
            responses[status] = {"description": _ERRORS[status], "content": {JSON: problem}}
        operation["responses"] = responses
        path_params = [p for p in operation.get("parameters", []) if p.get("in") == "path"]
        for p in path_params:
            p["schema"] = _PATH_PARAMS.get(p["name"], p.get("schema", {"type": "string"}))
        if path == "/entityOperations/{operation}":
            for p in path_params:
                p["schema"] = {
                    "type": "string",
                    "enum": ["create", "upsert", "update", "merge", "delete"],
                }
        query = [_param(n, path) for n in params]
        operation["parameters"] = path_params + query + _HEADERS
        if body is not None:
            # application/json carries no @context (a Link header may); ld+json must.
            # (Said of objects only: generators cannot combine `not` with an array of them.)
            plain = {"allOf": [body, {"not": {"required": ["@context"]}}]}
            linked = {"allOf": [body, {"required": ["@context"]}]}
            if body is BATCH or body is CONTEXT_BODY:
                plain = linked = body
            content = {JSON: {"schema": plain}, LD: {"schema": linked}}
            operation["requestBody"] = {"required": True, "content": content}
    return document
