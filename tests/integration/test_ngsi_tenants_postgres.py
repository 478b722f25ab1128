"""NGSI-LD tenants on PostgreSQL: a schema per tenant, each its own set of entities."""

from __future__ import annotations

import pytest
from test_postgres_store import postgres_url  # noqa: F401  (the throw-away database fixture)

from cctwin.config import PostgresStoreConfig
from cctwin.ngsi.broker import Broker
from cctwin.ngsi.context import ContextStore
from cctwin.store.ngsi import NgsiStore
from cctwin.store.tenants import open_tenant, tenant_names

pytestmark = pytest.mark.postgres
ENTITY = {"id": "urn:ngsi-ld:Thing:1", "type": "Thing", "size": {"type": "Property", "value": 1}}


def test_tenants_are_schemas_apart(postgres_url: str) -> None:  # noqa: F811
    config = PostgresStoreConfig(url=postgres_url)
    terms = ContextStore().terms(None)
    default = NgsiStore.open(config)
    first = open_tenant(config, "what-if-1")
    second = open_tenant(config, "What-if-1")
    try:
        Broker(first).create(ENTITY, terms)
        # A fresh broker has no cache: it reads the tenant's schema.
        assert (
            Broker(first)
            .retrieve(ENTITY["id"])
            .attrs["https://uri.etsi.org/ngsi-ld/default-context/size"]
        )
        assert not second.get_entities([ENTITY["id"]])
        assert not default.get_entities([ENTITY["id"]])
        assert {"what-if-1", "What-if-1"} <= set(tenant_names(config))
        again = open_tenant(config, "what-if-1")  # migrations are idempotent
        assert again.get_entities([ENTITY["id"]])
        again.close()
    finally:
        for store in (default, first, second):
            store.close()
