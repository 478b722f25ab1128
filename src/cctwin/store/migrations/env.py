"""Alembic environment: migrates the engine that cctwin.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, text

from cctwin.store.engine import WRITE, create_store_engine
from cctwin.store.migrate import include_name
from cctwin.store.tables import Base

# Any constant shared by every cctwin process: 'cctwin' in ASCII.
_LOCK_KEY = 0x63637477696E


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may open the store at once; one migrates, the others wait and
            # then find nothing to do. (SQLite gets the same from BEGIN IMMEDIATE.)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("cctwin migrations run online only (cctwin.store.migrate.upgrade)")
    engine = context.config.attributes.get("engine")
    owned = engine is None
    if owned:
        # A developer running Alembic by hand: the URL comes from the config.
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("set sqlalchemy.url or use cctwin.store.migrate.upgrade(url)")
        engine = create_store_engine(url)
    assert isinstance(engine, Engine)
    try:
        with engine.execution_options(**WRITE).begin() as connection:
            _run(connection)
    finally:
        if owned:
            engine.dispose()


_main()
