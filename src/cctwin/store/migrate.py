"""Run the store's Alembic migrations from code; no alembic.ini is needed."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlalchemy import Engine

from cctwin.store.engine import create_store_engine

MIGRATIONS = Path(__file__).resolve().with_name("migrations")

# Alembic keeps the running environment in module globals (alembic.context, alembic.op), so
# two threads migrating at once would trample each other; processes are kept apart by the
# database's own locks (see migrations/env.py).
_ALEMBIC = threading.Lock()

# Tables the postgis extension creates; the schema must never autogenerate a drop of them.
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Alembic's filter for autogenerate: everything except the extension's tables."""
    return not (type_ == "table" and name in EXTENSION_TABLES)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for the migrations in this package; env.py uses `engine` if given."""
    config = Config()
    # Config values go through configparser interpolation, where '%' is special.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_engine(engine: Engine) -> None:
    """Migrate the database behind `engine` to the newest revision, in one transaction."""
    with _ALEMBIC:
        command.upgrade(alembic_config(engine), "head")


def upgrade(url: str) -> None:
    """Migrate the database at the SQLAlchemy `url` to the newest revision."""
    engine = create_store_engine(url)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()
