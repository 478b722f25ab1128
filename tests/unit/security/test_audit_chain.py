"""The audit chain in SQLite: intact, then edited, inserted and deleted rows are named."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cctwin.security.audit import AuditAction, AuditRecord, verify
from cctwin.store.sql import SqlStore

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    store = SqlStore.open_url(f"sqlite:///{tmp_path / 'a.db'}")
    for i in range(5):
        at = T0 + timedelta(minutes=i)
        store.append_audit(
            AuditRecord(at, "user:kim", AuditAction.VIEW_LIVE, f"cam-{i}", f"cam-{i}")
        )
    return store


def _sql(store: SqlStore, statement: str) -> None:
    with store._engine.begin() as connection:
        connection.execute(text(statement))


def test_rows_chain_from_genesis_and_verify(store: SqlStore) -> None:
    entries = list(store.audit_entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert verify(entries) is None


def test_an_edited_row_is_named(store: SqlStore) -> None:
    _sql(store, "UPDATE audit_log SET actor = 'user:lee' WHERE seq = 3")
    broken = verify(store.audit_entries())
    assert broken is not None
    assert broken.seq == 3
    assert "edited" in broken.reason


def test_a_deleted_row_is_named(store: SqlStore) -> None:
    _sql(store, "DELETE FROM audit_log WHERE seq = 2")
    broken = verify(store.audit_entries())
    assert broken is not None
    assert broken.seq == 3
    assert "deleted" in broken.reason


def test_an_inserted_row_is_named(store: SqlStore) -> None:
    # Renumber to make room, then insert a row with a plausible hash of its own.
    _sql(store, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3")
    _sql(store, "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100")
    first = list(store.audit_entries())[1]
    _sql(
        store,
        "INSERT INTO audit_log (seq, at, actor, action, target, camera_id, purpose, detail,"
        f" prev_hash, hash) VALUES (3, '2026-12-06 01:02:30.000000', 'user:x', 'view.live',"
        f" 'cam-9', 'cam-9', NULL, '', '{first.hash}', '{'f' * 64}')",
    )
    broken = verify(store.audit_entries())
    assert broken is not None
    assert broken.seq == 3


def test_export_window_and_timezones_round_trip(store: SqlStore) -> None:
    rows = list(store.audit_entries(T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)))
    assert [r.record.target for r in rows] == ["cam-1", "cam-2"]
    # A record made in KST hashes the same after the store hands it back in UTC.
    kst = AuditRecord(
        datetime(2026, 12, 6, 11, 0, tzinfo=UTC).astimezone(), "service", AuditAction.LOGIN
    )
    store.append_audit(kst)
    assert verify(store.audit_entries()) is None
