"""NGSI-LD entities: validation of request bodies, the stored (expanded) form, rendering.

An entity body is open JSON by nature (any attribute name, any value), so attributes stay
JSON objects; what the broker relies on (id, types, attribute kinds, times) is typed here.
Names are stored expanded to IRIs; `render` compacts them against the request's @context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import shape  # type: ignore[import-untyped]

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.problems import bad_data

Json = dict[str, Any]

KINDS = frozenset(
    {
        "Property",
        "Relationship",
        "GeoProperty",
        "LanguageProperty",
        "JsonProperty",
        "VocabProperty",
        "ListProperty",
        "ListRelationship",
    }
)
# Members of an attribute that belong to the NGSI-LD core, never expanded as sub-attributes.
CORE_MEMBERS = frozenset(
    {
        "type",
        "value",
        "object",
        "objectType",
        "observedAt",
        "unitCode",
        "datasetId",
        "createdAt",
        "modifiedAt",
        "instanceId",
        "languageMap",
        "json",
        "vocab",
        "valueList",
        "objectList",
        "lang",
    }
)
SYSTEM = frozenset({"createdAt", "modifiedAt", "deletedAt", "instanceId"})
GEO_NAMES = frozenset({"location", "observationSpace", "operationSpace"})
GEO_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)
_BAD_NAME = re.compile(r"[\s<>\"'=;()\[\]]")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """NGSI-LD DateTime: UTC, milliseconds, 'Z'."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_time(text: object, what: str) -> datetime:
    """An ISO 8601 date-time with a zone (a naive one is read as UTC)."""
    if not isinstance(text, str):
        raise bad_data(f"{what} must be a DateTime string")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_data(f"{what} is not an ISO 8601 DateTime: {text!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_uri(text: object, what: str) -> str:
    if not isinstance(text, str) or not _URI.match(text):
        raise bad_data(f"{what} must be a URI, not {text!r}")
    return text


def check_name(name: str) -> str:
    if not name or _BAD_NAME.search(name):
        raise bad_data(f"invalid attribute name {name!r}")
    return name


@dataclass
class Entity:
    """An entity as stored: expanded types and attribute names, system times."""

    id: str
    types: list[str]
    attrs: dict[str, Json] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    modified_at: datetime = field(default_factory=now)
    scope: list[str] | None = None
    # Multi-attribute instances (CIM 009 4.5.5): name -> datasetId -> instance. `attrs` holds
    # each attribute's default instance (the one without a datasetId), which queries see.
    datasets: dict[str, dict[str, Json]] = field(default_factory=dict)

    def has_type(self, types: Iterable[str]) -> bool:
        return any(t in self.types for t in types)

    def names(self) -> set[str]:
        return set(self.attrs) | {n for n, d in self.datasets.items() if d}

    def instances(self, name: str) -> list[Json]:
        default = self.attrs.get(name)
        return ([default] if default is not None else []) + list(
            self.datasets.get(name, {}).values()
        )

    def instance(self, name: str, dataset_id: str | None) -> Json | None:
        if dataset_id is None:
            return self.attrs.get(name)
        return self.datasets.get(name, {}).get(dataset_id)

    def put(self, name: str, attr: Json) -> None:
        dataset_id = attr.get("datasetId")
        if dataset_id is None:
            self.attrs[name] = attr
        else:
            self.datasets.setdefault(name, {})[dataset_id] = attr

    def drop(self, name: str, dataset_id: str | None = None, every: bool = False) -> bool:
        """Delete one instance (the default one without `dataset_id`), or all; whether any was."""
        if every:
            found = name in self.attrs or bool(self.datasets.get(name))
            self.attrs.pop(name, None)
            self.datasets.pop(name, None)
            return found
        if dataset_id is None:
            return self.attrs.pop(name, None) is not None
        found = self.datasets.get(name, {}).pop(dataset_id, None) is not None
        if not self.datasets.get(name, True):
            del self.datasets[name]
        return found


def parse_entity(body: object, terms: TermMap, need_type: bool = True) -> Entity:
    """Validate an entity body (normalized or concise) into its expanded, stored form."""
    if not isinstance(body, Mapping):
        raise bad_data("an entity must be a JSON object")
    entity_id = check_uri(body.get("id", body.get("@id")), "entity id")
    raw_type = body.get("type", body.get("@type"))
    if raw_type is None and not need_type:
        types: list[str] = []
    else:
        names = [raw_type] if isinstance(raw_type, str) else raw_type
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(t, str) and t for t in names)
        ):
            raise bad_data("entity type must be a name or a non-empty list of names")
        types = [terms.expand(t) for t in names]
    scope = body.get("scope")
    if scope is not None and not isinstance(scope, (str, list)):
        raise bad_data("scope must be a string or a list of strings")
    entity = Entity(entity_id, types, scope=[scope] if isinstance(scope, str) else scope)
    for name, instances in parse_attributes(body, terms).items():
        for attr in instances:
            entity.put(name, attr)
    return entity


def parse_attributes(body: Mapping[str, Any], terms: TermMap) -> dict[str, list[Json]]:
    """The attributes of a body (an entity or an attrs fragment), keyed by expanded name:
    each one's instances (several when the body gives an array with datasetIds)."""
    attrs: dict[str, list[Json]] = {}
    for name, raw in body.items():
        if name in ("id", "@id", "type", "@type", "@context", "scope") or name in SYSTEM:
            continue
        attrs[terms.expand(check_name(name))] = parse_instances(name, raw, terms)
    return attrs


def parse_instances(name: str, raw: object, terms: TermMap) -> list[Json]:
    """An attribute's instances: one object, or an array of them told apart by datasetId."""
    if not isinstance(raw, list):
        return [parse_attribute(name, raw, terms)]
    if not raw:
        raise bad_data(f"attribute {name!r} is an empty array of instances")
    instances = [parse_attribute(name, item, terms) for item in raw]
    ids = [a.get("datasetId") for a in instances]
    if len(set(ids)) != len(ids):
        raise bad_data(f"attribute {name!r}: two instances with the same datasetId")
    return instances


def parse_attribute(name: str, raw: object, terms: TermMap) -> Json:
    """One attribute, normalized: its kind explicit, sub-attributes expanded, values checked."""
    if isinstance(raw, list):
        raise bad_data(f"attribute {name!r}: an array of instances is not allowed here")
    attr: Json = dict(raw) if isinstance(raw, Mapping) else {"value": raw}
    if attr.get("type") in GEO_TYPES and "value" not in attr:
        # Concise GeoProperty: the bare GeoJSON geometry.
        attr = {"type": "GeoProperty", "value": attr}
    kind = attr.get("type") or _implied_kind(name, attr)
    if kind not in KINDS:
        raise bad_data(f"attribute {name!r} has an unknown type {kind!r}")
    attr["type"] = kind
    if kind in ("Property", "GeoProperty") and "value" not in attr:
        raise bad_data(f"{kind} {name!r} has no value")
    if kind == "Property" and attr["value"] is None:
        raise bad_data(f"Property {name!r} has a null value")
    if kind == "Relationship":
        objects = attr.get("object")
        for target in objects if isinstance(objects, list) else [objects]:
            check_uri(target, f"Relationship {name!r} object")
    if kind == "GeoProperty":
        check_geometry(attr["value"], name)
    if kind == "LanguageProperty" and not isinstance(attr.get("languageMap"), Mapping):
        raise bad_data(f"LanguageProperty {name!r} needs a languageMap object")
    if "datasetId" in attr:
        check_uri(attr["datasetId"], f"{name}.datasetId")
    if "observedAt" in attr:
        attr["observedAt"] = iso(parse_time(attr["observedAt"], f"{name}.observedAt"))
    for member in SYSTEM:
        attr.pop(member, None)
    out: Json = {}
    for key, value in attr.items():
        if key in CORE_MEMBERS:
            out[key] = value
        else:
            out[terms.expand(check_name(key))] = parse_attribute(key, value, terms)
    return out


def _implied_kind(name: str, attr: Mapping[str, Any]) -> str:
    # The concise format (CIM 009 V1.6+): the kind follows from the members present.
    if "object" in attr:
        return "Relationship"
    if "languageMap" in attr:
        return "LanguageProperty"
    if "json" in attr:
        return "JsonProperty"
    if "vocab" in attr:
        return "VocabProperty"
    value = attr.get("value")
    if name in GEO_NAMES or (isinstance(value, Mapping) and value.get("type") in GEO_TYPES):
        return "GeoProperty"
    return "Property"


def check_geometry(value: object, name: str) -> None:
    if not isinstance(value, Mapping) or value.get("type") not in GEO_TYPES:
        raise bad_data(f"GeoProperty {name!r} must be a GeoJSON geometry")
    try:
        geometry = shape(value)
    except Exception as error:  # shapely raises several types for bad coordinates
        raise bad_data(f"GeoProperty {name!r} has invalid coordinates: {error}") from error
    if geometry.is_empty:
        raise bad_data(f"GeoProperty {name!r} is empty")


@dataclass(frozen=True)
class View:
    """How to render entities for one request."""

    terms: TermMap
    key_values: bool = False
    sys_attrs: bool = False
    attrs: frozenset[str] | None = None  # expanded names to keep; None = all
    concise: bool = False  # format=concise: attribute types implied, bare values
    pick: frozenset[str] | None = None  # members of the answer to keep (id, type, names)
    omit: frozenset[str] = frozenset()  # members of the answer to leave out
    lang: str | None = None  # LanguageProperties answer as Properties in this language
    # datasetId parameter: the instances to show ("@none" is the default instance).
    datasets: frozenset[str] | None = None


def render(entity: Entity, view: View) -> Json:
    """The entity compacted against the request's @context (normalized or keyValues)."""
    terms = view.terms
    types = [terms.compact(t) for t in entity.types]
    out: Json = {"id": entity.id, "type": types[0] if len(types) == 1 else types}
    if entity.scope:
        out["scope"] = entity.scope if len(entity.scope) > 1 else entity.scope[0]
    if view.sys_attrs:
        out["createdAt"] = iso(entity.created_at)
        out["modifiedAt"] = iso(entity.modified_at)
    for name in [*entity.attrs, *(n for n in entity.datasets if n not in entity.attrs)]:
        if view.attrs is not None and name not in view.attrs:
            continue
        instances = [
            _in_language(a, view.lang)
            for a in entity.instances(name)
            if view.datasets is None or a.get("datasetId", "@none") in view.datasets
        ]
        shown = [simplified(a) if view.key_values else _compact_attr(a, view) for a in instances]
        if shown:
            out[terms.compact(name)] = shown[0] if len(shown) == 1 else shown
    if view.pick is not None or view.omit:
        keep = view.pick
        out = {k: v for k, v in out.items() if (keep is None or k in keep) and k not in view.omit}
    return out


def _in_language(attr: Json, lang: str | None) -> Json:
    """With `lang` (CIM 009 4.15), a LanguageProperty is a Property holding the string of
    that language (else of @none, else the first one) and naming it in `lang`."""
    languages = attr.get("languageMap")
    if lang is None or attr.get("type") != "LanguageProperty" or not isinstance(languages, dict):
        return attr
    wanted = [t.split(";")[0].strip() for t in lang.split(",")]
    fallback = "@none" if "@none" in languages else next(iter(languages), None)
    chosen = next((t for t in wanted if t in languages), fallback)
    rest = {k: v for k, v in attr.items() if k not in ("type", "languageMap")}
    if chosen is None:
        return {"type": "Property", **rest, "value": ""}
    return {"type": "Property", **rest, "value": languages[chosen], "lang": chosen}


def _compact_attr(attr: Mapping[str, Any], view: View) -> Any:
    out: Json = {}
    for key, value in attr.items():
        if key in CORE_MEMBERS:
            if key in SYSTEM and not view.sys_attrs:
                continue
            out[key] = value
        else:
            out[view.terms.compact(key)] = _compact_attr(value, view)
    if view.concise:
        # CIM 009 4.5.1: the kind follows from the members; a lone value stands for itself.
        out.pop("type", None)
        if list(out) == ["value"] and not isinstance(out["value"], Mapping):
            return out["value"]
    return out


def feature(rendered: Mapping[str, Any], geometry_name: str = "location") -> Json:
    """A rendered entity as a GeoJSON Feature (CIM 009 clause 4.5.16): its geometry is the
    named GeoProperty's value (null when it has none)."""
    geo = rendered.get(geometry_name)
    if isinstance(geo, list):  # instances by datasetId: the default one (4.5.16.1)
        geo = next((g for g in geo if isinstance(g, Mapping) and "datasetId" not in g), None)
    geometry = geo.get("value") if isinstance(geo, Mapping) and "value" in geo else geo
    if not (isinstance(geometry, Mapping) and geometry.get("type") in GEO_TYPES):
        geometry = None  # no GeoProperty, or not a GeoJSON geometry: null
    properties = {k: v for k, v in rendered.items() if k != "id"}
    return {"id": rendered["id"], "type": "Feature", "geometry": geometry, "properties": properties}


def simplified(attr: Mapping[str, Any]) -> Any:
    """The keyValues form of an attribute: its value, object, or language map."""
    kind = attr.get("type")
    if kind == "Relationship":
        return attr.get("object")
    if kind == "LanguageProperty":
        return {"languageMap": attr.get("languageMap")}
    if kind == "JsonProperty":
        return {"json": attr.get("json")}
    if kind == "VocabProperty":
        return {"vocab": attr.get("vocab")}
    return attr.get("value")


def attribute_value(attr: Mapping[str, Any]) -> Any:
    """What a query compares: a Property's value, a Relationship's object."""
    if attr.get("type") == "Relationship":
        return attr.get("object")
    if attr.get("type") == "LanguageProperty":
        return attr.get("languageMap")
    return attr.get("value", attr.get("json", attr.get("vocab")))
