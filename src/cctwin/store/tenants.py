"""Where each NGSI-LD tenant's database lives: a SQLite file per tenant beside the store."""

from __future__ import annotations

from pathlib import Path

from cctwin.config import SqliteStoreConfig, StoreConfig
from cctwin.ngsi.problems import NgsiError, Problem
from cctwin.store.ngsi import NgsiStore

FOLDER = "ngsi-tenants"


def _folder(config: SqliteStoreConfig) -> Path:
    return Path(config.path).parent / FOLDER


def open_tenant(config: StoreConfig, tenant: str) -> NgsiStore:
    """The tenant's repository (created and migrated on first use), like Orion-LD's
    database per tenant. PostgreSQL tenants would need a database each: not offered yet."""
    if not isinstance(config, SqliteStoreConfig):
        raise NgsiError(
            Problem.OPERATION_NOT_SUPPORTED,
            "NGSI-LD tenants other than the default need the sqlite store",
        )
    path = _folder(config) / f"{tenant}.db"
    return NgsiStore.open(config.model_copy(update={"path": path}))


def tenant_names(config: StoreConfig) -> list[str]:
    """Tenants that already have a database."""
    if not isinstance(config, SqliteStoreConfig) or not _folder(config).is_dir():
        return []
    return sorted(p.stem for p in _folder(config).glob("*.db"))
