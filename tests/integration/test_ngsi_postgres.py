"""The NGSI-LD broker on PostgreSQL: upserts, queries, history and aggregation in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_postgres_store import postgres_url  # noqa: F401  (the throw-away database fixture)

from cctwin.config import PostgresStoreConfig
from cctwin.ngsi.broker import Broker, EntityQuery
from cctwin.ngsi.context import ContextStore
from cctwin.ngsi.query import parse_q
from cctwin.ngsi.temporal_view import temporal_entity
from cctwin.store.ngsi import NgsiStore

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def body(n: int, count: int, minute: int) -> dict[str, object]:
    stamp = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": f"urn:ngsi-ld:CrowdFlowObserved:cam:{n}",
        "type": "CrowdFlowObserved",
        "peopleCount": {"type": "Property", "value": count, "observedAt": stamp},
    }


def test_broker_on_postgres(postgres_url: str) -> None:  # noqa: F811
    store = NgsiStore.open(PostgresStoreConfig(url=postgres_url))
    try:
        terms = ContextStore().terms(None)
        broker = Broker(store)
        for minute, count in enumerate([10, 20, 30, 40]):
            result = broker.batch("upsert", [body(1, count, minute), body(2, 1, minute)], terms)
            assert not result.errors
        fresh = Broker(store)  # no cache: read back from the database
        assert fresh.retrieve("urn:ngsi-ld:CrowdFlowObserved:cam:1").attrs
        busy = fresh.query(
            EntityQuery(
                types=[terms.expand("CrowdFlowObserved")], q=parse_q("peopleCount>5", terms)
            )
        )
        assert [e.id for e in busy] == ["urn:ngsi-ld:CrowdFlowObserved:cam:1"]
        entity = fresh.retrieve("urn:ngsi-ld:CrowdFlowObserved:cam:1")
        params = {
            "options": "aggregatedValues",
            "aggrMethods": "avg,max",
            "aggrPeriodDuration": "PT2M",
            "timerel": "after",
            "timeAt": "2026-12-01T00:00:00Z",
        }
        out = temporal_entity(store, entity, terms, None, params)
        assert [v[0] for v in out["peopleCount"]["avg"]] == [15.0, 35.0]
        assert fresh.prune(T0 + timedelta(minutes=2)) == 4
    finally:
        store.close()
