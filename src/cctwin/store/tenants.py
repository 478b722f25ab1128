"""Where each NGSI-LD tenant's data lives: a SQLite file per tenant beside the store, or a
PostgreSQL schema per tenant in the store's database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cctwin.config import PostgresStoreConfig, SqliteStoreConfig, StoreConfig
from cctwin.store.ngsi import NgsiStore

FOLDER = "ngsi-tenants"
SCHEMA_PREFIX = "ngsi_tenant_"


def _folder(config: SqliteStoreConfig) -> Path:
    return Path(config.path).parent / FOLDER


def open_tenant(config: StoreConfig, tenant: str) -> NgsiStore:
    """The tenant's repository (created and migrated on first use), like Orion-LD's
    database per tenant. Tenant names are checked (letters, digits, '-', '_') before."""
    if isinstance(config, PostgresStoreConfig):
        return _open_schema(config, tenant)
    assert isinstance(config, SqliteStoreConfig)
    path = _folder(config) / f"{tenant}.db"
    return NgsiStore.open(config.model_copy(update={"path": path}))


def _open_schema(config: PostgresStoreConfig, tenant: str) -> NgsiStore:
    # The name stays as given (quoted), so tenants "A" and "a" remain two tenants.
    schema = SCHEMA_PREFIX + tenant
    admin = create_engine(config.url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        admin.dispose()
    # Every connection of the tenant's engine works in its schema only: the migrations
    # create the tables there and the queries find them there.
    url = make_url(config.url).update_query_dict({"options": f'-csearch_path="{schema}"'})
    return NgsiStore.open_url(url)


def tenant_names(config: StoreConfig) -> list[str]:
    """Tenants that already have a database (SQLite) or a schema (PostgreSQL)."""
    if isinstance(config, PostgresStoreConfig):
        admin = create_engine(config.url)
        try:
            with admin.connect() as connection:
                rows = connection.execute(
                    text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :prefix)"),
                    {"prefix": SCHEMA_PREFIX},
                ).all()
        finally:
            admin.dispose()
        return sorted(str(row[0])[len(SCHEMA_PREFIX) :] for row in rows)
    assert isinstance(config, SqliteStoreConfig)
    if not _folder(config).is_dir():
        return []
    return sorted(p.stem for p in _folder(config).glob("*.db"))
