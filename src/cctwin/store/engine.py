"""SQLAlchemy engines for the store: SQLite tuned for one busy writer, PostgreSQL pooled."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.pool import ConnectionPoolEntry

# Connections of an engine made with `.execution_options(**WRITE)` start their transactions
# with BEGIN IMMEDIATE on SQLite (see _begin).
WRITE: dict[str, Any] = {"cctwin_write": True}


def create_store_engine(url: str | URL) -> Engine:
    """An engine for `url`; SQLite connections get WAL, a busy timeout and foreign keys."""
    if make_url(url).get_backend_name() != "sqlite":
        # pre_ping: a PostgreSQL restart must not fail the first query after it.
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url,
        # The service calls the store from worker threads; the pool hands each connection to
        # one thread at a time, so sqlite3's same-thread check would only get in the way.
        connect_args={"check_same_thread": False},
        pool_size=8,
        max_overflow=8,
    )
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin)
    return engine


def _configure_sqlite(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    assert isinstance(dbapi_connection, sqlite3.Connection)
    # sqlite3's own transaction handling never begins one before SELECT or DDL; turn it off and
    # let _begin issue BEGIN, so reads see one snapshot and migrations are atomic.
    dbapi_connection.isolation_level = None
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=5000",
        "foreign_keys=ON",
    ):
        dbapi_connection.execute(f"PRAGMA {pragma}")


def _begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    # another connection wrote in between (the busy timeout does not apply); writers take the
    # write lock up front instead, and wait for it.
    immediate = connection.get_execution_options().get("cctwin_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
