"""`cctwin up` as a child process on a free port, for benchmarks and end-to-end tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    """Writes `config` (with a free port) into `folder` and runs the service on it."""

    def __init__(self, config: dict[str, Any], folder: Path, bus_url: str | None = None) -> None:
        self.port = free_port()
        self.bus_url = bus_url
        service = dict(config.get("service", {}))
        service["port"] = self.port
        self.config_path = folder / "config.yaml"
        self.config_path.write_text(yaml.safe_dump({**config, "service": service}))
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        # Every route but /api/health needs credentials: an admin API key made up front.
        self.headers = {"Authorization": f"Bearer {self._grant_key()}"}
        self.client = httpx.Client(base_url=self.url, headers=self.headers, timeout=5.0)

    def _grant_key(self, name: str = "bench") -> str:
        from datetime import UTC, datetime

        from cctwin.config import load_config
        from cctwin.security import keys
        from cctwin.security.roles import Role
        from cctwin.store.sql import SqlStore

        full, key_id, secret_hash = keys.new_key()
        with SqlStore.open(load_config(self.config_path).store) as store:
            store.add_key(
                keys.ApiKey(name, key_id, secret_hash, Role.ADMIN, None, datetime.now(UTC))
            )
        return full

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("service not started")
        return self.process.pid

    def start(self, timeout_s: float = 60.0) -> None:
        """Start and wait until /api/health answers; the service's stderr on failure."""
        bus = ["--bus", self.bus_url] if self.bus_url else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cctwin", "up", "--config", str(self.config_path), *bus],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"cctwin up exited with {self.process.returncode}: {error}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"cctwin up did not answer within {timeout_s} s")

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM (a graceful drain), then SIGKILL if it takes longer than `timeout_s`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> ServiceProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
