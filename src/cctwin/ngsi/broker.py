"""The context broker: entity operations on a repository, temporal instances, change hooks.

Operations are synchronous (the API runs them in worker threads); writes are serialised by
one lock so a read-modify-write (append, partial update) never loses a concurrent change
made through this process. Every attribute that is written leaves a temporal instance.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from cctwin.ngsi import fragments
from cctwin.ngsi.context import NGSI_LD, TermMap
from cctwin.ngsi.entities import (
    Entity,
    Json,
    check_name,
    check_uri,
    now,
    parse_attribute,
    parse_attributes,
    parse_entity,
)
from cctwin.ngsi.fragments import UpdateResult
from cctwin.ngsi.hosting import HostedContext
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found
from cctwin.ngsi.query import GeoQuery, Predicate
from cctwin.ngsi.temporal import Bucket, Instance, StoredInstances, instance_of


class Repository(Protocol):
    """Where the broker keeps entities, instances and subscriptions (store/ngsi.py)."""

    def get_entities(self, ids: Sequence[str]) -> dict[str, Entity]: ...

    def put_entities(self, entities: Sequence[Entity], instances: Sequence[Instance]) -> None: ...

    def delete_entities(self, ids: Sequence[str]) -> None: ...

    def scan_entities(
        self, types: Sequence[str] | None, ids: Sequence[str] | None
    ) -> Iterator[Entity]: ...

    def instances(
        self,
        entity_id: str,
        attrs: Sequence[str] | None,
        start_ts: float | None,
        end_ts: float | None,
        last_n: int | None,
    ) -> list[Instance]: ...

    def stored_instances(
        self,
        entity_id: str,
        attrs: Sequence[str] | None,
        start_ts: float | None,
        end_ts: float | None,
    ) -> StoredInstances: ...

    def buckets(
        self,
        entity_id: str,
        attr: str,
        start_ts: float | None,
        end_ts: float | None,
        origin_ts: float,
        period_s: float,
    ) -> list[Bucket]: ...

    def instance_attrs(self, entity_id: str) -> list[str]: ...

    def prune_instances(self, before_ts: float) -> int: ...

    def downsample_instances(self, before_ts: float, period_s: float) -> int: ...

    def save_subscription(self, subscription_id: str, body: Mapping[str, Any]) -> None: ...

    def load_subscriptions(self) -> dict[str, Json]: ...

    def delete_subscription(self, subscription_id: str) -> None: ...

    # Hosted @contexts (ngsi/hosting.py ContextRepository).
    def save_context(self, context: HostedContext) -> None: ...

    def load_contexts(self) -> list[HostedContext]: ...

    def delete_context(self, local_id: str) -> None: ...


@dataclass(frozen=True)
class Change:
    """An entity after a write, with the (expanded) attributes that were written."""

    entity: Entity
    attrs: frozenset[str]
    deleted: bool = False
    # The attribute values this write set, when the entity may change again before the
    # commit (a batch naming one entity twice): each write keeps its own history instance.
    written: Mapping[str, Json] | None = None
    # The entity before this write; None when the write created it (subscriptions tell
    # attributeCreated, attributeUpdated and attributeDeleted apart, and show old values).
    prior: Entity | None = None

    @property
    def previous(self) -> frozenset[str] | None:
        """The attribute names the entity had before this write (None: it is new)."""
        return frozenset(self.prior.names()) if self.prior is not None else None


ChangeListener = Callable[[Sequence[Change]], None]


@dataclass
class BatchResult:
    """Entity ids done, and per failed entity its problem (207 Multi-Status body)."""

    success: list[str] = field(default_factory=list)
    errors: list[tuple[str, NgsiError]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # of `success`, those that were new


@dataclass(frozen=True)
class EntityQuery:
    """What GET /entities filters on (types and attribute names expanded)."""

    types: Sequence[str] | None = None
    ids: Sequence[str] | None = None
    id_pattern: re.Pattern[str] | None = None
    attrs: frozenset[str] | None = None
    q: Predicate | None = None
    geo: GeoQuery | None = None
    scope: Predicate | None = None  # scopeQ (ngsi/scopes.py)
    local: bool = False  # local=true: every local entity may be asked for (5.7.2.4)

    def matches(self, entity: Entity) -> bool:
        if self.scope is not None and not self.scope(entity):
            return False
        if self.id_pattern is not None and not self.id_pattern.search(entity.id):
            return False
        if self.attrs is not None and not (self.attrs & entity.names()):
            # attrs selects entities having at least one of them (clause 5.7.2).
            return False
        if self.q is not None and not self.q(entity):
            return False
        return self.geo is None or self.geo(entity)


class Broker:
    """NGSI-LD entity operations (CIM 009 clause 5.6, 5.7, 5.8) on a repository."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self.listeners: list[ChangeListener] = []
        self._lock = threading.Lock()
        # The live state: every entity read or written through this broker, kept current by
        # its writes, so retrieval and batch upserts skip a database read. It assumes this
        # broker is the only writer of its tables (one service per store).
        self._cache: dict[str, Entity] = {}

    # --- reading --------------------------------------------------------------------------

    def retrieve(self, entity_id: str) -> Entity:
        check_uri(entity_id, "entity id")
        found = self._load([entity_id]).get(entity_id)
        if found is None:
            raise not_found(f"no entity {entity_id}")
        return found

    def cached(self, entity_id: str) -> Entity | None:
        """The live entity if this broker holds it (no database access: safe on the loop)."""
        return self._cache.get(entity_id)

    def _load(self, ids: Sequence[str]) -> dict[str, Entity]:
        """Entities by id; copies, so a change that fails to commit leaves the cache as it was."""
        found = {i: self._cache[i] for i in ids if i in self._cache}
        missing = [i for i in ids if i not in found]
        if missing:
            loaded = self.repository.get_entities(missing)
            self._cache.update(loaded)
            found.update(loaded)
        return {i: _copy(e) for i, e in found.items()}

    def query(self, query: EntityQuery) -> list[Entity]:
        filters = (query.types, query.attrs, query.q, query.geo, query.ids, query.id_pattern)
        if all(f is None for f in filters) and query.scope is None and not query.local:
            raise bad_data("a query needs type, attrs, q, geometry, id or idPattern")
        others = (query.types, query.q, query.geo, query.ids, query.id_pattern, query.scope)
        if all(o is None for o in others) and query.attrs and query.attrs <= SYSTEM_IRIS:
            # 5.7.2.4: attrs qualifies a query only with at least one non-system attribute.
            raise bad_data("attrs naming only system attributes does not narrow a query")
        scan = self.repository.scan_entities(query.types, query.ids)
        return [e for e in scan if query.matches(e)]

    def types(self) -> dict[str, set[str]]:
        """Entity type -> attribute names of its entities (expanded)."""
        out: dict[str, set[str]] = {}
        for entity in self.repository.scan_entities(None, None):
            for entity_type in entity.types:
                out.setdefault(entity_type, set()).update(entity.names())
        return out

    # --- writing --------------------------------------------------------------------------

    def create(self, body: Mapping[str, Any], terms: TermMap) -> Entity:
        entity = parse_entity(body, terms)
        with self._lock:
            if self._load([entity.id]):
                raise NgsiError(Problem.ALREADY_EXISTS, f"entity {entity.id} exists")
            self._commit([Change(entity, frozenset(entity.names()))])
        return entity

    def delete(self, entity_id: str) -> None:
        with self._lock:
            entity = self.retrieve(entity_id)
            self.repository.delete_entities([entity_id])
            self._cache.pop(entity_id, None)
        self._notify([Change(entity, frozenset(), deleted=True)])

    def append(
        self, entity_id: str, fragment: Mapping[str, Any], terms: TermMap, overwrite: bool = True
    ) -> UpdateResult:
        """POST /attrs: add attributes, replacing existing ones unless `overwrite` is off."""
        attrs = parse_attributes(_object(fragment), terms)
        with self._lock:
            entity = self.retrieve(entity_id)
            result = fragments.append(entity, attrs, overwrite)
            self._commit([Change(entity, frozenset(result.updated))])
        return result

    def update(self, entity_id: str, fragment: Mapping[str, Any], terms: TermMap) -> UpdateResult:
        """PATCH /attrs: replace attributes the entity has; the others are not updated."""
        attrs = parse_attributes(_object(fragment), terms)
        with self._lock:
            entity = self.retrieve(entity_id)
            result = fragments.update(entity, attrs)
            if result.updated:
                self._commit([Change(entity, frozenset(result.updated))])
        return result

    def patch_attribute(
        self, entity_id: str, name: str, fragment: Mapping[str, Any], terms: TermMap
    ) -> None:
        """PATCH /attrs/{attr}: merge the fragment into one existing attribute."""
        expanded = terms.expand(name)
        body = _object(fragment)
        with self._lock:
            entity = self.retrieve(entity_id)
            current = entity.instance(expanded, body.get("datasetId"))
            if current is None:
                raise not_found(f"entity {entity_id} has no attribute {name} (that datasetId)")
            # Sub-attributes in the fragment are expanded again by parse_attribute; stored
            # ones are already IRIs and expand to themselves.
            entity.put(expanded, parse_attribute(name, {**current, **body}, terms))
            self._commit([Change(entity, frozenset({expanded}))])

    def delete_attribute(
        self,
        entity_id: str,
        name: str,
        terms: TermMap,
        dataset_id: str | None = None,
        every: bool = False,
    ) -> None:
        """DELETE /attrs/{attr} (5.6.5): the default instance, the `dataset_id` one, or all."""
        expanded = terms.expand(name)
        with self._lock:
            entity = self.retrieve(entity_id)
            if not entity.drop(expanded, dataset_id, every):
                raise not_found(f"entity {entity_id} has no attribute {name} (that datasetId)")
            self._commit([Change(entity, frozenset({expanded}))])

    def replace(self, entity_id: str, body: Mapping[str, Any], terms: TermMap) -> None:
        """PUT /entities/{id}: the entity's attributes become those of the body."""
        with self._lock:
            entity = self.retrieve(entity_id)
            fresh = parse_entity({**_object(body), "id": entity_id}, terms, need_type=False)
            dropped = entity.names() - fresh.names()  # written too: attributeDeleted
            entity.types = fresh.types or entity.types
            entity.attrs = fresh.attrs
            entity.datasets = fresh.datasets
            self._commit([Change(entity, frozenset(fresh.names() | dropped))])

    def merge(self, entity_id: str, body: Mapping[str, Any], terms: TermMap) -> None:
        """PATCH /entities/{id} (CIM 009 5.6.17): attributes of the body are added or merged
        into the stored ones; an attribute set to NGSI-LD Null is deleted."""
        with self._lock:
            entity = self.retrieve(entity_id)
            fresh = parse_entity({**_object(body), "id": entity_id}, terms, need_type=False)
            fragments.merge_into(entity, fresh)
            self._commit([Change(entity, frozenset(fresh.names()))])

    def replace_attribute(
        self, entity_id: str, name: str, fragment: Mapping[str, Any], terms: TermMap
    ) -> None:
        """PUT /entities/{id}/attrs/{attr} (5.6.19): the attribute becomes the body."""
        expanded = terms.expand(name)
        with self._lock:
            entity = self.retrieve(entity_id)
            attr = parse_attribute(name, _object(fragment), terms)
            if entity.instance(expanded, attr.get("datasetId")) is None:
                raise not_found(f"entity {entity_id} has no attribute {name} (that datasetId)")
            entity.put(expanded, attr)
            self._commit([Change(entity, frozenset({expanded}))])

    # --- batch ----------------------------------------------------------------------------

    def batch(
        self, operation: str, bodies: object, terms: TermMap, replace: bool = False
    ) -> BatchResult:
        """entityOperations/create|upsert|update|delete; one transaction for the successes.
        `replace`: an upsert replaces an existing entity's content (the API's default, 5.6.8)
        instead of updating its attributes (options=update, and the twin's own writes)."""
        if not isinstance(bodies, list):
            raise bad_data("a batch operation takes a JSON array")
        if operation == "delete":
            return self._batch_delete(bodies)
        result = BatchResult()
        parsed: list[Entity] = []
        for body in bodies:
            try:
                need_type = operation not in ("update", "merge")
                parsed.append(parse_entity(body, terms, need_type=need_type))
            except NgsiError as error:
                result.errors.append((_id_of(body), error))
        with self._lock:
            existing = self._load([e.id for e in parsed])
            changes = list(self._batch_changes(operation, parsed, existing, result, replace))
            self._commit(changes)
        return result

    def _batch_changes(
        self,
        operation: str,
        parsed: Iterable[Entity],
        existing: dict[str, Entity],
        result: BatchResult,
        replace: bool = False,
    ) -> Iterator[Change]:
        for entity in parsed:
            written = dict(entity.attrs)  # what this body sets: history, watchers
            names = entity.names()
            old = existing.get(entity.id)
            if operation == "create" and old is not None:
                error = NgsiError(Problem.ALREADY_EXISTS, f"entity {entity.id} exists")
                result.errors.append((entity.id, error))
                continue
            if operation in ("update", "merge") and old is None:
                result.errors.append((entity.id, not_found(f"no entity {entity.id}")))
                continue
            if old is not None and operation == "merge":
                fragments.merge_into(old, entity)
                entity = old
            elif old is not None and operation == "upsert" and replace:
                names = names | old.names()  # those it drops are written too: deleted
                old.types, old.attrs, old.datasets = entity.types, entity.attrs, entity.datasets
                old.scope = entity.scope
                entity = old
            elif old is not None and operation in ("upsert", "update"):
                # Update (and upsert with options=update) merge attributes into the stored
                # entity.
                for name in entity.names():
                    for attr in entity.instances(name):
                        old.put(name, attr)
                for entity_type in entity.types:
                    if entity_type not in old.types:
                        old.types.append(entity_type)
                entity = old
            if old is None:
                result.created.append(entity.id)
            existing[entity.id] = entity
            result.success.append(entity.id)
            yield Change(entity, frozenset(names), written=written)

    def add_history(self, body: object, terms: TermMap) -> bool:
        """POST /temporal/entities: attribute instances (lists) for an entity, created if
        new (True). Each attribute's latest instance by observedAt becomes its current value."""
        if not isinstance(body, Mapping):
            raise bad_data("a temporal entity must be a JSON object")
        members = ("type", "@type", "@context", "scope")  # lists that are not instances
        flat = {k: v for k, v in body.items() if not isinstance(v, list) or k in members}
        entity = parse_entity(flat, terms)
        history: dict[str, list[Json]] = {}
        for name, raw in body.items():
            if isinstance(raw, list) and name not in members:
                if not raw:
                    raise bad_data(f"attribute {name!r} has no instances")
                parsed = [parse_attribute(name, item, terms) for item in raw]
                history[terms.expand(check_name(name))] = parsed
        with self._lock:
            old = self._load([entity.id]).get(entity.id)
            target = old or entity
            for entity_type in entity.types:
                if entity_type not in target.types:
                    target.types.append(entity_type)
            target.attrs.update(entity.attrs)
            instances = [
                instance_of(target.id, name, attr, now())
                for name, attrs in history.items()
                for attr in attrs
            ]
            for name, attrs in history.items():
                latest: dict[object, Json] = {}
                for attr in sorted(attrs, key=lambda a: str(a.get("observedAt", ""))):
                    latest[attr.get("datasetId")] = attr  # per datasetId (4.5.5)
                for attr in latest.values():
                    target.put(name, attr)
            target.modified_at = now()
            self.repository.put_entities([target], instances)
            self._cache[target.id] = target
        return old is None

    def _batch_delete(self, ids: list[Any]) -> BatchResult:
        result = BatchResult()
        with self._lock:
            wanted = [i for i in ids if isinstance(i, str)]
            found = self._load(wanted)
            for entity_id in ids:
                if entity_id in found:
                    result.success.append(entity_id)
                else:
                    result.errors.append((str(entity_id), not_found(f"no entity {entity_id}")))
            self.repository.delete_entities(result.success)
            for entity_id in result.success:
                self._cache.pop(entity_id, None)
        self._notify([Change(found[i], frozenset(), deleted=True) for i in result.success])
        return result

    def _commit(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        moment = now()
        instances: list[Instance] = []
        for change in changes:
            entity = change.entity
            entity.modified_at = moment
            values = change.written if change.written is not None else entity.attrs
            for name in change.attrs:
                attr = values.get(name)
                if attr is not None:
                    instances.append(instance_of(entity.id, name, attr, moment))
                # Instances with a datasetId leave history too (their current values).
                for extra in entity.datasets.get(name, {}).values():
                    instances.append(instance_of(entity.id, name, extra, moment))
        # One row per entity, even when a batch names it twice (PostgreSQL's ON CONFLICT
        # refuses to touch a row twice in one statement).
        entities = list({c.entity.id: c.entity for c in changes}.values())
        self.repository.put_entities(entities, instances)
        # The cache still holds each entity as it was before (cached entities are replaced,
        # never changed in place): what the write changed.
        before = {c.entity.id: self._cache.get(c.entity.id) for c in changes}
        changes = [replace(c, prior=before[c.entity.id]) for c in changes]
        self._cache.update((c.entity.id, c.entity) for c in changes)
        self._notify(changes)

    def _notify(self, changes: Sequence[Change]) -> None:
        for listener in self.listeners:
            listener(changes)

    def prune(self, before: datetime) -> int:
        """Retention: forget attribute instances observed before `before`."""
        return self.repository.prune_instances(before.timestamp())

    def retain(self, raw_before: datetime, keep_before: datetime, period_s: float = 60.0) -> int:
        """History policy: instances older than `raw_before` become `period_s` averages; all
        older than `keep_before` go. How many raw instances were summarised."""
        summarised = self.repository.downsample_instances(raw_before.timestamp(), period_s)
        self.repository.prune_instances(keep_before.timestamp())
        return summarised


SYSTEM_IRIS = frozenset(f"{NGSI_LD}{n}" for n in ("createdAt", "modifiedAt", "deletedAt"))


def _copy(entity: Entity) -> Entity:
    # Attributes are replaced whole, never changed in place, so a shallow copy is enough.
    return replace(
        entity,
        types=list(entity.types),
        attrs=dict(entity.attrs),
        datasets={name: dict(d) for name, d in entity.datasets.items()},
    )


def _object(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_data("the body must be a JSON object")
    return body


def _id_of(body: object) -> str:
    return str(body.get("id", "")) if isinstance(body, Mapping) else ""
