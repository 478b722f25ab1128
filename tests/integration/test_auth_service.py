"""`cctwin up` with access control: first-start admin, 401s, and audit rows that survive kill -9."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cctwin.bench.service import ServiceProcess
from cctwin.security.passwords import hash_password
from cctwin.security.roles import Role
from cctwin.security.users import User
from cctwin.store.sql import SqlStore

pytestmark = pytest.mark.slow


def _config(folder: Path) -> dict[str, Any]:
    return {
        "store": {"type": "sqlite", "path": str(folder / "cctwin.db")},
        "media": {"path": str(folder / "media")},
        "service": {"workers": 1},
    }


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cctwin", *args], capture_output=True, text=True, timeout=120
    )


def test_first_start_prints_an_admin_password_once_and_guards_every_route(
    tmp_path: Path,
) -> None:
    service = ServiceProcess(_config(tmp_path), tmp_path)
    service.start()
    anonymous = httpx.Client(base_url=service.url, timeout=5)
    try:
        assert anonymous.get("/api/health").status_code == 200
        for path in ("/api/stream", "/openapi.json", "/metrics", "/api/events", "/docs"):
            assert anonymous.get(path).status_code == 401, path
        assert service.client.get("/openapi.json").status_code == 200
    finally:
        service.kill()
    assert service.process is not None
    assert service.process.stderr is not None
    lines = [x for x in service.process.stderr.read().decode().splitlines() if "'admin'" in x]
    assert len(lines) == 1, lines
    password = lines[0].split("password ")[1].split()[0]
    service.start()
    try:
        form = {"username": "admin", "password": password}
        assert anonymous.post(service.url + "/api/auth/token", data=form).status_code == 200
    finally:
        service.stop()
    assert service.process.stderr is not None
    assert "'admin'" not in service.process.stderr.read().decode()  # only on the first start


def test_audit_rows_acknowledged_before_kill_9_are_all_there(tmp_path: Path) -> None:
    service = ServiceProcess(_config(tmp_path), tmp_path)
    with SqlStore.open_url(f"sqlite:///{tmp_path / 'cctwin.db'}") as store:
        store.add_user(User("kim", Role.OPERATOR, None, hash_password("pw"), datetime.now(UTC)))
    service.start()
    acknowledged: list[int] = []
    stop = threading.Event()

    def log_in() -> None:
        with httpx.Client(base_url=service.url, timeout=10) as client:
            while not stop.is_set():
                try:
                    answer = client.post(
                        "/api/auth/token", data={"username": "kim", "password": "pw"}
                    )
                except httpx.HTTPError:
                    return  # the service is gone
                if answer.status_code == 200:
                    acknowledged.append(1)

    threads = [threading.Thread(target=log_in, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    service.kill()  # SIGKILL with logins in flight
    stop.set()
    for thread in threads:
        thread.join(10)
    answered = len(acknowledged)
    assert answered >= 15
    with SqlStore.open_url(f"sqlite:///{tmp_path / 'cctwin.db'}") as store:
        logins = [e for e in store.audit_entries() if e.record.action == "login"]
    assert len(logins) >= answered
    config = str(service.config_path)
    verified = _cli("audit", "verify", "--config", config)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout
    # Someone edits a row: verify names it and exits 1.
    with (
        SqlStore.open_url(f"sqlite:///{tmp_path / 'cctwin.db'}") as store,
        store._engine.begin() as c,
    ):
        c.exec_driver_sql("UPDATE audit_log SET actor = 'user:ghost' WHERE seq = 4")
    tampered = _cli("audit", "verify", "--config", config)
    assert tampered.returncode == 1
    assert "row 4" in tampered.stdout
    exported = _cli("audit", "export", "--config", config, "--out", str(tmp_path / "audit.csv"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "audit.csv").read_text().count("\n") >= answered + 1
