"""How an attributes fragment goes into a stored entity: append, update, merge, per datasetId.

Each attribute of a fragment is a list of instances (CIM 009 4.5.5); an instance lands on
the stored instance with the same datasetId (none = the default instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cctwin.ngsi.entities import Entity, Json, attribute_value

NGSI_NULL = "urn:ngsi-ld:null"


@dataclass
class UpdateResult:
    """Which attributes an update wrote and which it did not, with why."""

    updated: list[str] = field(default_factory=list)
    not_updated: list[tuple[str, str]] = field(default_factory=list)


def append(entity: Entity, attrs: Mapping[str, list[Json]], overwrite: bool) -> UpdateResult:
    """POST /attrs (5.6.3): add instances, replacing a same-datasetId one unless noOverwrite."""
    result = UpdateResult()
    for name, instances in attrs.items():
        for attr in instances:
            if not overwrite and entity.instance(name, attr.get("datasetId")) is not None:
                result.not_updated.append((name, "attribute exists (noOverwrite)"))
                continue
            entity.put(name, attr)
            if name not in result.updated:
                result.updated.append(name)
    return result


def update(entity: Entity, attrs: Mapping[str, list[Json]]) -> UpdateResult:
    """PATCH /attrs (5.6.2): replace instances the entity has; the others are not updated."""
    result = UpdateResult()
    for name, instances in attrs.items():
        for attr in instances:
            dataset_id = attr.get("datasetId")
            if entity.instance(name, dataset_id) is None:
                why = "attribute does not exist"
                result.not_updated.append(
                    (name, f"{why} (datasetId {dataset_id})" if dataset_id else why)
                )
                continue
            entity.put(name, attr)
            if name not in result.updated:
                result.updated.append(name)
    return result


def merge_into(entity: Entity, fragment: Entity) -> None:
    """Merge semantics (5.6.17): new types and attributes are added; an attribute of both
    keeps the stored sub-attributes the fragment does not name; NGSI-LD Null deletes the
    attribute instance (or the sub-attribute)."""
    for entity_type in fragment.types:
        if entity_type not in entity.types:
            entity.types.append(entity_type)
    for name in fragment.names():
        for attr in fragment.instances(name):
            dataset_id = attr.get("datasetId")
            if attribute_value(attr) == NGSI_NULL:
                entity.drop(name, dataset_id)
                continue
            old = entity.instance(name, dataset_id)
            same_kind = old is not None and old.get("type") == attr.get("type")
            merged = {**old, **attr} if old is not None and same_kind else attr
            entity.put(name, {k: v for k, v in merged.items() if not _is_null(v)})


def _is_null(member: object) -> bool:
    return isinstance(member, Mapping) and "type" in member and attribute_value(member) == NGSI_NULL
