"""Edits of an entity's temporal representation (CIM 009 5.6.12-5.6.15, 6.20-6.22): append
attribute instances, delete an attribute's history (one datasetId or all), and partially
update or delete one instance by its instanceId.

The instances are the store's rows (ngsi/temporal.py); an instanceId names a row and stays
the same when the instance is updated. The entity's current attributes are not touched by
deletions: its temporal representation is its kept instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote

from cctwin.ngsi.broker import Broker, Repository
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import check_name, check_uri, iso, parse_attribute, parse_time
from cctwin.ngsi.problems import NgsiError, bad_data, not_found
from cctwin.ngsi.temporal import Instance, instance_key, instance_of

_NOT_ATTRIBUTES = ("id", "@id", "type", "@type", "@context", "scope")


class InstanceRepository(Repository, Protocol):
    """The broker's repository, with kept instances edited by key (store/ngsi.py)."""

    def delete_instance_rows(self, entity_id: str, keys: Sequence[int]) -> int: ...

    def replace_instance(self, instance: Instance) -> bool: ...


class TemporalEditor:
    """The temporal attribute operations on the broker's repository."""

    def __init__(self, broker: Broker, repository: InstanceRepository) -> None:
        self.broker = broker
        self.repository = repository

    def upsert(self, body: object, terms: TermMap) -> bool:
        """POST /temporal/entities (5.6.11): the body's instances are added; one at the same
        observedAt and datasetId as a kept instance of its attribute replaces that one (an
        attribute has one value per instant and dataset). True when the entity is new."""
        stale = self._stale(body, terms)
        created = self.broker.add_history(body, terms)
        if stale:
            # After the new rows are in: a failed write must not lose the old ones.
            self.repository.delete_instance_rows(str(_members(body)["id"]), stale)
        return created

    def _stale(self, body: object, terms: TermMap) -> list[int]:
        """Keys of the kept instances the body's instances replace (none for a body the
        broker will refuse: add_history says why)."""
        try:
            members = _members(body)
            entity = self.broker.retrieve(str(members.get("id")))
            wanted: set[tuple[str, object, float]] = set()
            for name, raw in members.items():
                if name in _NOT_ATTRIBUTES or not isinstance(raw, list):
                    continue
                expanded = terms.expand(name)
                for item in raw:
                    if isinstance(item, Mapping) and "observedAt" in item:
                        # As parse_attribute keeps it: milliseconds, UTC.
                        text = iso(parse_time(item["observedAt"], "observedAt"))
                        at = parse_time(text, "observedAt").timestamp()
                        wanted.add((expanded, item.get("datasetId"), at))
        except NgsiError:
            return []
        names = sorted({w[0] for w in wanted})
        if not names:
            return []
        kept = self.repository.instances(entity.id, names, None, None, None)
        return [
            _key(i) for i in kept if (i.attr, i.attr_json.get("datasetId"), i.observed_ts) in wanted
        ]

    def append(self, entity_id: str, fragment: object, terms: TermMap) -> None:
        """POST /temporal/entities/{id}/attrs (5.6.12): instances (an object or an array per
        attribute) added to an existing entity's history."""
        if not isinstance(fragment, Mapping):
            raise bad_data("the body must be a JSON object of attributes")
        entity = self.broker.retrieve(entity_id)
        history: dict[str, list[Any]] = {}
        for name, raw in fragment.items():
            if name in _NOT_ATTRIBUTES:
                continue
            attribute_name(name)
            history[name] = raw if isinstance(raw, list) else [raw]
        if not history:
            raise bad_data("the body names no attribute")
        # add_history adds the body's types: the entity's own, named under this @context.
        types = [terms.compact(t) for t in entity.types]
        self.upsert({"id": entity.id, "type": types, **history}, terms)

    def delete_attribute(
        self,
        entity_id: str,
        name: str,
        terms: TermMap,
        dataset_id: str | None = None,
        every: bool = False,
    ) -> None:
        """DELETE /temporal/entities/{id}/attrs/{attrId} (5.6.13): the instances of the
        default instance series, of `dataset_id`, or all of the attribute's."""
        kept = self._instances(entity_id, name, terms)
        series = [i for i in kept if i.attr_json.get("datasetId") == dataset_id]
        doomed = kept if every else series
        if not doomed:
            which = f"datasetId {dataset_id}" if dataset_id else "the default instance"
            raise not_found(f"entity {entity_id} has no history of {name} ({which})")
        self.repository.delete_instance_rows(entity_id, [_key(i) for i in doomed])

    def update_instance(
        self, entity_id: str, name: str, instance_id: str, fragment: object, terms: TermMap
    ) -> None:
        """PATCH .../attrs/{attrId}/{instanceId} (5.6.14): the fragment's members replace the
        instance's; its instanceId stays."""
        if not isinstance(fragment, Mapping):
            raise bad_data("the body must be a JSON object (an attribute fragment)")
        found = self._instance(entity_id, name, instance_id, terms)
        body = {k: v for k, v in fragment.items() if k not in ("@context", "instanceId")}
        # Stored sub-attributes are IRIs already and expand to themselves.
        attr = parse_attribute(name, {**found.attr_json, **body}, terms)
        fresh = instance_of(entity_id, found.attr, attr, _moment(found))
        changed = Instance(
            entity_id, found.attr, fresh.observed_ts, attr, fresh.number, found.instance_id
        )
        if not self.repository.replace_instance(changed):
            raise not_found(f"no instance {instance_id} of {name}")  # deleted meanwhile

    def delete_instance(self, entity_id: str, name: str, instance_id: str, terms: TermMap) -> None:
        """DELETE .../attrs/{attrId}/{instanceId} (5.6.15)."""
        found = self._instance(entity_id, name, instance_id, terms)
        if not self.repository.delete_instance_rows(entity_id, [_key(found)]):
            raise not_found(f"no instance {instance_id} of {name}")

    def _instances(self, entity_id: str, name: str, terms: TermMap) -> list[Instance]:
        check_uri(entity_id, "entity id")
        expanded = terms.expand(attribute_name(name))
        self.broker.retrieve(entity_id)  # ResourceNotFound for an unknown entity
        return self.repository.instances(entity_id, [expanded], None, None, None)

    def _instance(self, entity_id: str, name: str, instance_id: str, terms: TermMap) -> Instance:
        check_uri(instance_id, "instanceId")  # BadRequestData; a URI not ours is not found
        key = instance_key(instance_id)
        if key is None:
            raise not_found(f"{instance_id!r} is not an instanceId of this broker")
        for instance in self._instances(entity_id, name, terms):
            if instance.instance_id == key:
                return instance
        raise not_found(f"entity {entity_id} has no instance {instance_id} of {name}")


def _members(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_data("a temporal entity must be a JSON object")
    return body


def attribute_name(name: str) -> str:
    """A valid attribute name (5.6.13.4): a dot segment, even percent-encoded (twice), is
    not one (a path would resolve it to the entity)."""
    folded = unquote(unquote(name))
    if folded in ("", ".", ".."):
        raise bad_data(f"{name!r} is not an attribute name")
    return check_name(name)


def _key(instance: Instance) -> int:
    assert instance.instance_id is not None  # read from the store
    return instance.instance_id


def _moment(instance: Instance) -> datetime:
    """When the instance was kept: the time of an instance without observedAt."""
    return datetime.fromtimestamp(instance.observed_ts, UTC)
