"""One SQL database (SQLite or PostgreSQL): connections, one writer at a time, migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Table,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from cctwin.config import PostgresStoreConfig, SqliteStoreConfig, StoreConfig
from cctwin.store.engine import WRITE, create_store_engine
from cctwin.store.migrate import upgrade_engine


class Database:
    """Thread-safe synchronous access to one SQL database; the table groups build on it.

    Every method runs in its own transaction: when a write returns, it is committed.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**WRITE)
        self._sqlite = engine.dialect.name == "sqlite"
        # SQLite has one writer at a time; queueing writers of this process on a lock is fairer
        # and cheaper than letting them poll the file lock (busy_timeout still covers others).
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self._sqlite else nullcontext()
        )

    @classmethod
    def open(cls, config: StoreConfig) -> Self:
        """Connect to the configured database and migrate it to the newest schema."""
        url: str | URL
        if isinstance(config, SqliteStoreConfig):
            path = Path(config.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            url = URL.create("sqlite", database=str(path))
        else:
            assert isinstance(config, PostgresStoreConfig)
            url = config.url
        return cls.open_url(url)

    @classmethod
    def open_url(cls, url: str | URL) -> Self:
        """Connect to a SQLAlchemy URL and migrate the database to the newest schema."""
        engine = create_store_engine(url)
        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name

    def close(self) -> None:
        if self._sqlite:
            # Refreshes the planner statistics the indexes' choice depends on (cheap when
            # fresh). Only an optimisation: a database locked past busy_timeout skips it.
            with suppress(OperationalError), self._writer.begin() as connection:
                connection.exec_driver_sql("PRAGMA optimize")
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self._writer.begin() as connection:
            yield connection

    def _insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        return sqlite.insert(table) if self._sqlite else postgresql.insert(table)
