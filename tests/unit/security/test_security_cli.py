"""`cctwin users`, `cctwin keys`, `cctwin audit` against a fresh store."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.security.passwords import verify_password
from cctwin.security.service import Authenticator, AuthError, AuthSettings
from cctwin.store.sql import SqlStore

runner = CliRunner()


def _config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"store: {{type: sqlite, path: {tmp_path / 'db.sqlite'}}}\n")
    return str(path)


def _store(tmp_path: Path) -> SqlStore:
    return SqlStore.open_url(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_users_are_added_listed_disabled_and_repassworded(tmp_path: Path) -> None:
    config = _config(tmp_path)
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "kim",
            "--role",
            "operator",
            "--cameras",
            "cam-1,cam-2",
            "--password-stdin",
            "--config",
            config,
        ],
        input="s3cret\n",
    )
    assert added.exit_code == 0, added.output
    assert "s3cret" not in added.output
    listed = runner.invoke(app, ["users", "list", "--config", config])
    assert listed.output.split() == ["kim", "operator", "cam-1,cam-2", "active"]
    wrong = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--config", config])
    assert wrong.exit_code == 2
    assert "unknown role 'boss'" in wrong.output
    again = runner.invoke(app, ["users", "password", "kim", "--config", config])
    new = again.output.strip().splitlines()[-1].split(": ")[1]
    with _store(tmp_path) as store:
        user = store.get_user("kim")
        assert user is not None
        assert verify_password(user.password_hash, new)
        assert not verify_password(user.password_hash, "s3cret")
    assert runner.invoke(app, ["users", "disable", "kim", "--config", config]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["users", "list", "--config", config]).output
    assert runner.invoke(app, ["users", "disable", "nobody", "--config", config]).exit_code == 2


def test_a_key_is_printed_once_works_and_stops_working_when_revoked(tmp_path: Path) -> None:
    config = _config(tmp_path)
    created = runner.invoke(
        app, ["keys", "create", "ingest", "--role", "integrator", "--config", config]
    )
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["keys", "list", "--config", config]).output
    assert key not in listed
    assert "ingest" in listed
    with _store(tmp_path) as store:
        auth = Authenticator(AuthSettings("s" * 32, 60, 60, 5, 60), store)
        assert auth.bearer(key, "10.0.0.1").role.value == "integrator"
        assert runner.invoke(app, ["keys", "revoke", "ingest", "--config", config]).exit_code == 0
        with pytest.raises(AuthError, match="revoked"):
            auth.bearer(key, "10.0.0.1")


def test_audit_verify_and_export(tmp_path: Path) -> None:
    config = _config(tmp_path)
    runner.invoke(app, ["keys", "create", "a", "--role", "planner", "--config", config])
    runner.invoke(app, ["keys", "revoke", "a", "--config", config])
    verified = runner.invoke(app, ["audit", "verify", "--config", config])
    assert verified.exit_code == 0
    assert "intact: 2 rows" in verified.output
    out = tmp_path / "audit.csv"
    exported = runner.invoke(
        app, ["audit", "export", "--config", config, "--from", "2020-01-01", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open()))
    assert [r["action"] for r in rows] == ["key.create", "key.revoke"]
    with _store(tmp_path) as store, store._engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_log WHERE seq = 1")
    broken = runner.invoke(app, ["audit", "verify", "--config", config])
    assert broken.exit_code == 1
    assert "row 2" in broken.output
