"""Context source registrations and their subscriptions kept on PostgreSQL (migration 0011)."""

from __future__ import annotations

import pytest
from test_postgres_store import postgres_url  # noqa: F401  (the throw-away database fixture)

from cctwin.config import PostgresStoreConfig
from cctwin.config.ngsi import NgsiConfig
from cctwin.ngsi.registration_query import RegistrationQuery
from cctwin.ngsi.service import NgsiService
from cctwin.store.ngsi import NgsiStore

pytestmark = pytest.mark.postgres


def test_registry_on_postgres(postgres_url: str) -> None:  # noqa: F811
    store = NgsiStore.open(PostgresStoreConfig(url=postgres_url))
    try:
        service = NgsiService(store, NgsiConfig())
        terms = service.contexts.terms(None)
        body = {
            "id": "urn:ngsi-ld:ContextSourceRegistration:pg",
            "type": "ContextSourceRegistration",
            "information": [{"entities": [{"type": "Building"}], "propertyNames": ["name"]}],
            "endpoint": "http://source.example:1026",
            "csourceProperty": "kept",
        }
        service.registry.create(body, terms)
        service.registry.update(body["id"], {"endpoint": "http://moved.example"}, terms)
        subscription = {
            "id": "urn:ngsi-ld:Subscription:pg",
            "type": "Subscription",
            "entities": [{"type": "Building"}],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}},
        }
        service.csource_subscriptions.create(subscription, None)
        again = NgsiService(store, NgsiConfig())  # read back from the database
        (found,) = again.registry.query(
            RegistrationQuery(types=frozenset({terms.expand("Building")}))
        )
        assert found.body == service.registry.get(body["id"]).body
        assert found.body["endpoint"] == "http://moved.example"
        assert found.created_at == service.registry.get(body["id"]).created_at
        assert again.csource_subscriptions.get("urn:ngsi-ld:Subscription:pg").matches(found)
        again.registry.delete(body["id"])
        again.csource_subscriptions.delete("urn:ngsi-ld:Subscription:pg")
        assert store.load_registrations() == {}
        assert store.load_csource_subscriptions() == {}
    finally:
        store.close()
