"""NGSI-LD tables: entities, temporal attribute instances, subscriptions (ngsi/broker.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    cast,
    delete,
    distinct,
    func,
    literal,
    select,
    update,
)

from cctwin.ngsi.entities import Entity, Json
from cctwin.ngsi.hosting import HostedContext, Kind
from cctwin.ngsi.temporal import Bucket, Instance, StoredInstances, last_per_series
from cctwin.store.history import HistoryTables
from cctwin.store.ngsi_registrations import RegistrationTables
from cctwin.store.tables import (
    NgsiContextRow,
    NgsiEntityRow,
    NgsiExtraTypeRow,
    NgsiInstanceRow,
    NgsiSubscriptionRow,
)

_CHUNK = 500  # ids per IN (...) clause: under SQLite's bound-parameter limit


class NgsiStore(RegistrationTables, HistoryTables):
    """The broker's repository on the SQL store (SQLite or PostgreSQL)."""

    def get_entities(self, ids: Sequence[str]) -> dict[str, Entity]:
        found: dict[str, Entity] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows = connection.execute(
                    select(NgsiEntityRow).where(NgsiEntityRow.id.in_(chunk))
                ).all()
                for row in rows:
                    found[row.id] = _entity(row.id, row.body, row.created_at, row.modified_at)
        return found

    def put_entities(self, entities: Sequence[Entity], instances: Sequence[Instance]) -> None:
        """Insert or replace entities and add attribute instances, in one transaction."""
        if not entities and not instances:
            return
        rows = [_row(e) for e in entities]
        with self._write() as connection:
            if rows:
                insert = self._insert(NgsiEntityRow.__table__)  # type: ignore[arg-type]
                connection.execute(
                    insert.on_conflict_do_update(
                        index_elements=["id"],
                        set_={
                            "type": insert.excluded.type,
                            "body": insert.excluded.body,
                            "modified_at": insert.excluded.modified_at,
                        },
                    ),
                    rows,
                )
            if rows:
                self._put_extra_types(connection, entities)
            if instances:
                connection.execute(
                    NgsiInstanceRow.__table__.insert(),  # type: ignore[attr-defined]
                    [_instance_row(i) for i in instances],
                )

    def _put_extra_types(self, connection: Connection, entities: Sequence[Entity]) -> None:
        multi = [e for e in entities if len(e.types) > 1]
        ids = [e.id for e in entities]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            connection.execute(
                delete(NgsiExtraTypeRow).where(NgsiExtraTypeRow.entity_id.in_(chunk))
            )
        extra = [{"entity_id": e.id, "type": t} for e in multi for t in dict.fromkeys(e.types[1:])]
        if extra:
            connection.execute(NgsiExtraTypeRow.__table__.insert(), extra)  # type: ignore[attr-defined]

    def delete_entities(self, ids: Sequence[str]) -> None:
        with self._write() as connection:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                connection.execute(delete(NgsiEntityRow).where(NgsiEntityRow.id.in_(chunk)))
                connection.execute(
                    delete(NgsiExtraTypeRow).where(NgsiExtraTypeRow.entity_id.in_(chunk))
                )
                connection.execute(
                    delete(NgsiInstanceRow).where(NgsiInstanceRow.entity_id.in_(chunk))
                )

    def scan_entities(
        self, types: Sequence[str] | None, ids: Sequence[str] | None
    ) -> Iterator[Entity]:
        """Entities of these types / ids (None = any), in id order."""
        query = select(NgsiEntityRow).order_by(NgsiEntityRow.id)
        if types is not None:
            others = select(NgsiExtraTypeRow.entity_id).where(NgsiExtraTypeRow.type.in_(types))
            query = query.where(NgsiEntityRow.type.in_(types) | NgsiEntityRow.id.in_(others))
        if ids is not None:
            query = query.where(NgsiEntityRow.id.in_(ids))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        for row in rows:
            yield _entity(row.id, row.body, row.created_at, row.modified_at)

    def instances(
        self,
        entity_id: str,
        attrs: Sequence[str] | None,
        start_ts: float | None,
        end_ts: float | None,
        last_n: int | None,
    ) -> list[Instance]:
        """An entity's attribute instances in time order (the last `last_n` per attribute)."""
        # Only the columns an Instance needs, unpacked by position: a month of minutes is
        # 43,200 rows and each attribute access by name would cost more than the SQL.
        columns = (NgsiInstanceRow.number,)
        rows = self._instance_rows(entity_id, attrs, start_ts, end_ts, columns)
        loads = orjson.loads
        out = [Instance(entity_id, a, ts, loads(body), n, k) for a, ts, body, k, n in rows]
        return out if last_n is None else last_per_series(out, last_n)

    def stored_instances(
        self,
        entity_id: str,
        attrs: Sequence[str] | None,
        start_ts: float | None,
        end_ts: float | None,
    ) -> StoredInstances:
        """The same instances as stored texts, in columns (no object per row)."""
        rows = self._instance_rows(entity_id, attrs, start_ts, end_ts, ())
        return StoredInstances(
            [row[0] for row in rows],
            [row[1] for row in rows],
            [row[2] for row in rows],
            [row[3] for row in rows],
        )

    def _instance_rows(
        self,
        entity_id: str,
        attrs: Sequence[str] | None,
        start_ts: float | None,
        end_ts: float | None,
        extra: tuple[Any, ...],
    ) -> Sequence[Any]:
        """(attr, observed_ts, body, id, *extra) rows in time order per attribute."""
        query = select(
            NgsiInstanceRow.attr,
            NgsiInstanceRow.observed_ts,
            NgsiInstanceRow.body,
            NgsiInstanceRow.id,
            *extra,
        ).where(NgsiInstanceRow.entity_id == entity_id)
        if attrs is not None:
            query = query.where(NgsiInstanceRow.attr.in_(attrs))
        if start_ts is not None:
            query = query.where(NgsiInstanceRow.observed_ts >= start_ts)
        if end_ts is not None:
            query = query.where(NgsiInstanceRow.observed_ts < end_ts)
        order = (NgsiInstanceRow.attr, NgsiInstanceRow.observed_ts, NgsiInstanceRow.id)
        with self._engine.connect() as connection:
            return connection.execute(query.order_by(*order)).all()

    def delete_instance_rows(self, entity_id: str, keys: Sequence[int]) -> int:
        """Forget these instances of an entity (temporal_ops); how many there were."""
        gone = 0
        with self._write() as connection:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                result = connection.execute(
                    delete(NgsiInstanceRow).where(
                        NgsiInstanceRow.entity_id == entity_id, NgsiInstanceRow.id.in_(chunk)
                    )
                )
                gone += int(result.rowcount or 0)
        return gone

    def replace_instance(self, instance: Instance) -> bool:
        """A kept instance (by `instance_id`) takes the new JSON, time and number."""
        values = _instance_row(instance)
        with self._write() as connection:
            result = connection.execute(
                update(NgsiInstanceRow)
                .where(
                    NgsiInstanceRow.id == instance.instance_id,
                    NgsiInstanceRow.entity_id == instance.entity_id,
                )
                .values(
                    observed_ts=values["observed_ts"],
                    number=values["number"],
                    body=values["body"],
                )
            )
        return bool(result.rowcount)

    def buckets(
        self,
        entity_id: str,
        attr: str,
        start_ts: float | None,
        end_ts: float | None,
        origin_ts: float,
        period_s: float,
    ) -> list[Bucket]:
        """Sums of an attribute's numeric instances per period, computed by the database."""
        number = NgsiInstanceRow.number
        offset = (NgsiInstanceRow.observed_ts - origin_ts) / period_s if period_s > 0 else None
        index: ColumnElement[Any]
        if offset is None:
            index = literal(0.0)
        elif self._sqlite:
            # SQLite's floor() needs its optional math functions; the offset is never negative
            # (instances before the origin are outside the window), so truncating is floor.
            index = cast(offset, Integer)
        else:
            index = func.floor(offset)
        query = select(
            index.label("bucket"),
            func.count(number),
            func.sum(number),
            func.sum(number * number),
            func.min(number),
            func.max(number),
            func.count(distinct(number)),
            func.min(NgsiInstanceRow.observed_ts),
        ).where(
            NgsiInstanceRow.entity_id == entity_id,
            NgsiInstanceRow.attr == attr,
            number.is_not(None),
        )
        if start_ts is not None:
            query = query.where(NgsiInstanceRow.observed_ts >= start_ts)
        if end_ts is not None:
            query = query.where(NgsiInstanceRow.observed_ts < end_ts)
        query = query.group_by(index).order_by(index)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            Bucket(
                int(r[0]),
                int(r[1]),
                float(r[2]),
                float(r[3]),
                float(r[4]),
                float(r[5]),
                int(r[6]),
                float(r[7]),
            )
            for r in rows
        ]

    def instance_attrs(self, entity_id: str) -> list[str]:
        query = select(NgsiInstanceRow.attr).where(NgsiInstanceRow.entity_id == entity_id)
        with self._engine.connect() as connection:
            return sorted(r[0] for r in connection.execute(query.distinct()).all())

    def prune_instances(self, before_ts: float) -> int:
        """Delete instances observed before `before_ts` (retention); how many went."""
        with self._write() as connection:
            result = connection.execute(
                delete(NgsiInstanceRow).where(NgsiInstanceRow.observed_ts < before_ts)
            )
        return int(result.rowcount or 0)

    def downsample_instances(self, before_ts: float, period_s: float) -> int:
        """Instances observed before `before_ts` become per-period rollups (store/history.py):
        mean, maximum and last of numbers; the last instance of levels and states."""
        return self.roll_up(before_ts, period_s)

    def count_instances(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count(NgsiInstanceRow.id))).scalar_one())

    def save_subscription(self, subscription_id: str, body: Mapping[str, Any]) -> None:
        insert = self._insert(NgsiSubscriptionRow.__table__)  # type: ignore[arg-type]
        row = {"id": subscription_id, "body": orjson.dumps(body).decode()}
        with self._write() as connection:
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["id"], set_={"body": insert.excluded.body}
                ),
                [row],
            )

    def load_subscriptions(self) -> dict[str, Json]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(NgsiSubscriptionRow)).all()
        return {r.id: orjson.loads(r.body) for r in rows}

    def delete_subscription(self, subscription_id: str) -> None:
        with self._write() as connection:
            connection.execute(
                delete(NgsiSubscriptionRow).where(NgsiSubscriptionRow.id == subscription_id)
            )

    def save_context(self, context: HostedContext) -> None:
        row = {
            "id": context.local_id,
            "kind": context.kind.value,
            "body": orjson.dumps(context.document).decode(),
            "created_at": context.created,
        }
        with self._write() as connection:
            connection.execute(NgsiContextRow.__table__.insert(), [row])  # type: ignore[attr-defined]

    def load_contexts(self) -> list[HostedContext]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(NgsiContextRow)).all()
        return [HostedContext(r.id, Kind(r.kind), orjson.loads(r.body), r.created_at) for r in rows]

    def delete_context(self, local_id: str) -> None:
        with self._write() as connection:
            connection.execute(delete(NgsiContextRow).where(NgsiContextRow.id == local_id))


def _row(entity: Entity) -> dict[str, Any]:
    body: dict[str, Any] = {"types": entity.types, "attrs": entity.attrs, "scope": entity.scope}
    if entity.datasets:
        body["datasets"] = entity.datasets
    return {
        "id": entity.id,
        "type": entity.types[0] if entity.types else "",
        "body": orjson.dumps(body).decode(),
        "created_at": entity.created_at,
        "modified_at": entity.modified_at,
    }


def _entity(entity_id: str, body: str, created: datetime, modified: datetime) -> Entity:
    data = orjson.loads(body)
    return Entity(
        entity_id,
        data["types"],
        data["attrs"],
        created,
        modified,
        data.get("scope"),
        data.get("datasets", {}),
    )


def _instance_row(instance: Instance) -> dict[str, Any]:
    return {
        "entity_id": instance.entity_id,
        "attr": instance.attr,
        "observed_ts": instance.observed_ts,
        "number": instance.number,
        "body": orjson.dumps(instance.attr_json).decode(),
    }
