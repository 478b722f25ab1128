"""NGSI-LD context source registrations (CIM 009 5.2.9, 5.2.10): validation, stored form, view.

A registration is kept as its body with entity types, attribute names and the names of its
own (extra) properties expanded to IRIs, so any @context compacts it back on the way out, as
entities are. Core members (endpoint, mode, expiresAt...) keep their names and values.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import (
    Entity,
    Json,
    check_geometry,
    check_name,
    check_uri,
    iso,
    now,
    parse_time,
)
from cctwin.ngsi.problems import bad_data

TYPE = "ContextSourceRegistration"
MODES = ("inclusive", "exclusive", "redirect", "auxiliary")
GEO_MEMBERS = ("location", "observationSpace", "operationSpace")
# CSourceRegistration members of the NGSI-LD core (Table 5.2.9-1); any other member is a
# property of the context source (a "CSource property"), matched by csf.
CORE = frozenset(
    {
        "id", "type", "registrationName", "description", "information", "tenant",
        "observationInterval", "managementInterval", "expiresAt", "endpoint",
        "contextSourceInfo", "scope", "mode", "operations", "refreshRate", "management",
        *GEO_MEMBERS,
    }
)  # fmt: skip
# Kept by the broker, never taken from a request body.
SYSTEM = frozenset(
    {"status", "createdAt", "modifiedAt", "timesSent", "timesFailed", "lastSuccess", "lastFailure"}
)
# Operation groups (CIM 009 4.20) and the retrieval operations an auxiliary source may serve.
RETRIEVE_OPS = frozenset(
    {
        "retrieveOps", "retrieveEntity", "queryEntity", "queryBatch", "retrieveTemporal",
        "queryTemporal", "retrieveEntityTypes", "retrieveEntityTypeDetails",
        "retrieveEntityTypeInfo", "retrieveAttrTypes", "retrieveAttrTypeDetails",
        "retrieveAttrTypeInfo",
    }
)  # fmt: skip
DEFAULT_OPERATIONS = ("federationOps",)
MIXED_GROUPS = frozenset({"federationOps", "redirectionOps"})  # retrievals and more
_DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)


@dataclass(frozen=True)
class Selector:
    """One EntityInfo: an entity type (expanded) with an optional id or id pattern."""

    type: str
    id: str | None
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class Info:
    """One RegistrationInfo: the entities and attributes the source may supply (None: any)."""

    entities: tuple[Selector, ...] | None
    attrs: frozenset[str] | None


@dataclass
class Registration:
    """A validated registration: its expanded body and what discovery matches on."""

    id: str
    body: Json
    infos: list[Info]
    expires: datetime | None
    created_at: datetime
    modified_at: datetime
    props: Entity  # its own properties and geometries, as an entity for q/geo predicates
    # How forwarded requests went (status, timesSent, timesFailed, lastSuccess, lastFailure;
    # ngsi/federation.py), kept in memory only.
    runtime: Json = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return str(self.body.get("mode", "inclusive"))

    @property
    def scopes(self) -> list[str]:
        scope = self.body.get("scope")
        return [] if scope is None else [scope] if isinstance(scope, str) else list(scope)

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= now()

    def stored(self) -> Json:
        return {
            **self.body,
            "createdAt": iso(self.created_at),
            "modifiedAt": iso(self.modified_at),
        }


def compile_registration(body: object, terms: TermMap, stored: bool = False) -> Registration:
    """Validate a CSourceRegistration (BadRequestData if it is not one) and expand its names.

    `stored`: a body read back from the store (expanded already; an expiry in the past is
    kept, it only stops the registration from being discovered).
    """
    if not isinstance(body, Mapping):
        raise bad_data("a context source registration must be a JSON object")
    if body.get("type") != TYPE:
        raise bad_data(f"a context source registration has type {TYPE!r}")
    reg_id = check_uri(body.get("id") or f"urn:ngsi-ld:{TYPE}:{uuid.uuid4()}", "id")
    check_uri(body.get("endpoint"), "endpoint")
    raw_info = body.get("information")
    if not isinstance(raw_info, list) or not raw_info:
        raise bad_data("information must be a non-empty list of RegistrationInfo")
    information = [_info(i, terms) for i in raw_info]
    clean: Json = {"id": reg_id, "type": TYPE}
    for key, value in body.items():
        if key in ("id", "type", "@context") or key in SYSTEM:
            continue
        if key == "information":
            clean[key] = [expanded for expanded, _ in information]
        elif key in CORE:
            _check_member(key, value)
            clean[key] = value
        else:
            clean[terms.expand(check_name(key))] = value
    clean.setdefault("mode", "inclusive")
    clean.setdefault("operations", list(DEFAULT_OPERATIONS))
    infos = [info for _, info in information]
    _check_mode(clean, infos)
    expires = parse_time(clean["expiresAt"], "expiresAt") if "expiresAt" in clean else None
    if expires is not None and expires <= now() and not stored:
        raise bad_data("expiresAt must be in the future")
    created = _stored_time(body, "createdAt") if stored else None
    modified = _stored_time(body, "modifiedAt") if stored else None
    stamp = now()
    stamp = stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)  # as stored: ms
    return Registration(
        id=reg_id,
        body=clean,
        infos=infos,
        expires=expires,
        created_at=created or stamp,
        modified_at=modified or stamp,
        props=_props(reg_id, clean, terms),
    )


def _stored_time(body: Mapping[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    return parse_time(value, key) if value is not None else None


def _info(raw: object, terms: TermMap) -> tuple[Json, Info]:
    """A RegistrationInfo expanded, and compiled for matching."""
    if not isinstance(raw, Mapping):
        raise bad_data("each information member must be an object")
    unknown = set(raw) - {"entities", "propertyNames", "relationshipNames"}
    if unknown:
        raise bad_data(f"unknown RegistrationInfo members {sorted(unknown)}")
    if not raw:
        raise bad_data("a RegistrationInfo needs entities, propertyNames or relationshipNames")
    expanded: Json = {}
    selectors: tuple[Selector, ...] | None = None
    if "entities" in raw:
        entities = raw["entities"]
        if not isinstance(entities, list) or not entities:
            raise bad_data("information.entities must be a non-empty list")
        pairs = [_entity_info(e, terms) for e in entities]
        expanded["entities"] = [p[0] for p in pairs]
        selectors = tuple(p[1] for p in pairs)
    names: set[str] = set()
    for key in ("propertyNames", "relationshipNames"):
        if key not in raw:
            continue
        listed = raw[key]
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise bad_data(f"information.{key} must be a list of names")
        expanded[key] = [terms.expand(check_name(n)) for n in listed]
        names.update(expanded[key])
    has_names = "propertyNames" in raw or "relationshipNames" in raw
    return expanded, Info(selectors, frozenset(names) if has_names else None)


def _entity_info(raw: object, terms: TermMap) -> tuple[Json, Selector]:
    if not isinstance(raw, Mapping):
        raise bad_data("each information.entities member must be an object")
    unknown = set(raw) - {"id", "idPattern", "type"}
    if unknown:
        raise bad_data(f"unknown EntityInfo members {sorted(unknown)}")
    entity_type = raw.get("type")
    if not isinstance(entity_type, str) or not entity_type:
        raise bad_data("each information.entities member needs a type")
    out: Json = {"type": terms.expand(entity_type)}
    entity_id = raw.get("id")
    if entity_id is not None:
        out["id"] = check_uri(entity_id, "information.entities.id")
    pattern = raw.get("idPattern")
    compiled = None
    if pattern is not None:
        if not isinstance(pattern, str):
            raise bad_data("idPattern must be a string")
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise bad_data(f"bad idPattern: {error}") from error
        out["idPattern"] = pattern
    return out, Selector(out["type"], entity_id, compiled)


def _check_member(key: str, value: object) -> None:
    """Types of the core members (Table 5.2.9-1)."""
    if key in ("registrationName", "description", "tenant"):
        if not isinstance(value, str):
            raise bad_data(f"{key} must be a string")
    elif key == "endpoint":
        check_uri(value, key)
    elif key == "expiresAt":
        parse_time(value, key)
    elif key in GEO_MEMBERS:
        check_geometry(value, key)
    elif key in ("observationInterval", "managementInterval"):
        _check_interval(key, value)
    elif key == "mode":
        if value not in MODES:
            raise bad_data(f"mode is one of {', '.join(MODES)}")
    elif key == "operations":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise bad_data("operations must be a non-empty list of operation names")
    elif key == "scope":
        scopes = value if isinstance(value, list) else [value]
        if not scopes or not all(isinstance(s, str) and s.startswith("/") for s in scopes):
            raise bad_data("scope is a string or list of strings starting with '/'")
    elif key == "contextSourceInfo":
        _check_pairs(value)
    elif key == "refreshRate":
        _check_duration(key, value)
    elif key == "management":
        _check_management(value)


def _check_interval(key: str, value: object) -> None:
    if not isinstance(value, Mapping) or "startAt" not in value:
        raise bad_data(f"{key} is a TimeInterval with startAt (and endAt)")
    if set(value) - {"startAt", "endAt"}:
        raise bad_data(f"{key} has only startAt and endAt")
    start = parse_time(value["startAt"], f"{key}.startAt")
    if "endAt" in value and parse_time(value["endAt"], f"{key}.endAt") <= start:
        raise bad_data(f"{key}.endAt must be after startAt")


def _check_pairs(value: object) -> None:
    # KeyValuePair (5.2.22): key and value are both strings, both present.
    if not isinstance(value, list):
        raise bad_data("contextSourceInfo must be a list of {key, value} pairs")
    for pair in value:
        if (
            not isinstance(pair, Mapping)
            or set(pair) != {"key", "value"}
            or not isinstance(pair["key"], str)
            or not isinstance(pair["value"], str)
        ):
            raise bad_data("each contextSourceInfo member is {key: string, value: string}")


def _check_duration(key: str, value: object) -> None:
    if not isinstance(value, str) or not _DURATION.match(value):
        raise bad_data(f"{key} must be an ISO 8601 duration such as PT5M")


def _check_management(value: object) -> None:
    # RegistrationManagementInfo (5.2.34).
    if not isinstance(value, Mapping):
        raise bad_data("management must be an object")
    unknown = set(value) - {"localOnly", "cacheDuration", "timeout", "cooldown"}
    if unknown:
        raise bad_data(f"unknown management members {sorted(unknown)}")
    if "localOnly" in value and not isinstance(value["localOnly"], bool):
        raise bad_data("management.localOnly must be a boolean")
    if "cacheDuration" in value:
        _check_duration("management.cacheDuration", value["cacheDuration"])
    for key in ("timeout", "cooldown"):
        number = value.get(key)
        if key in value and (
            isinstance(number, bool) or not isinstance(number, (int, float)) or number <= 0
        ):
            raise bad_data(f"management.{key} must be a number greater than 0")


def _check_mode(body: Mapping[str, Any], infos: list[Info]) -> None:
    """Clause 4.3.6.3 and 5.9.2.4: what each mode may register and serve."""
    mode = body["mode"]
    # Groups holding retrieval operations are allowed: an auxiliary source is asked only
    # their retrieval part (4.3.6.2); a write operation or updateOps alone is refused.
    if mode == "auxiliary" and not set(body["operations"]) <= RETRIEVE_OPS | MIXED_GROUPS:
        raise bad_data("an auxiliary registration serves retrieval operations only")
    if mode != "exclusive":
        return
    for info in infos:
        if not info.attrs:
            raise bad_data("an exclusive registration names the attributes it provides")
        if not info.entities or any(s.id is None or s.pattern for s in info.entities):
            raise bad_data("an exclusive registration names entity ids (no type or idPattern)")


def _props(reg_id: str, body: Mapping[str, Any], terms: TermMap) -> Entity:
    """The registration's own properties as an entity, for csf and geo-queries: CSource
    properties under their IRIs, the simple core members and the geometries under theirs."""
    attrs: dict[str, Json] = {}
    for key, value in body.items():
        if key in GEO_MEMBERS:
            attrs[terms.expand(key)] = {"type": "GeoProperty", "value": value}
        elif key in ("registrationName", "description", "endpoint", "mode", "tenant"):
            attrs[terms.expand(key)] = {"type": "Property", "value": value}
        elif key not in CORE:
            is_attr = isinstance(value, Mapping) and "type" in value
            attrs[key] = dict(value) if is_attr else {"type": "Property", "value": value}
    return Entity(reg_id, [TYPE], attrs)


def render_registration(reg: Registration, terms: TermMap, sys_attrs: bool = False) -> Json:
    """The registration as the API shows it, compacted with the request's @context."""
    out: Json = {}
    for key, value in reg.body.items():
        if key == "information":
            out[key] = [_render_info(i, terms) for i in value]
        elif key in CORE:
            out[key] = value
        else:
            out[terms.compact(key)] = value
    out.update(reg.runtime)
    if sys_attrs:
        out["createdAt"] = iso(reg.created_at)
        out["modifiedAt"] = iso(reg.modified_at)
    return out


def _render_info(info: Mapping[str, Any], terms: TermMap) -> Json:
    out: Json = {}
    if "entities" in info:
        out["entities"] = [{**e, "type": terms.compact(e["type"])} for e in info["entities"]]
    for key in ("propertyNames", "relationshipNames"):
        if key in info:
            out[key] = [terms.compact(n) for n in info[key]]
    return out


def merge_patch(current: Registration, patch: object, terms: TermMap) -> Json:
    """The body after a PATCH (5.9.3): members replaced, null removes an optional one."""
    if not isinstance(patch, Mapping):
        raise bad_data("the body must be a JSON object")
    if "id" in patch and patch["id"] != current.id:
        raise bad_data("the id of a registration cannot change")
    if "type" in patch and patch["type"] != TYPE:
        raise bad_data(f"a context source registration has type {TYPE!r}")
    body = render_registration(current, terms)
    for key, value in patch.items():
        if key in ("@context", "id", "type") or key in SYSTEM:
            continue
        if value is None:
            if key in ("information", "endpoint"):
                raise bad_data(f"{key} is mandatory and cannot be removed")
            body.pop(key, None)
        else:
            body[key] = value
    return body
