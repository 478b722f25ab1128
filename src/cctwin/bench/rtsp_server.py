"""Run GStreamer's RTSP server (gst_rtsp_loop.py under Debian's python3) as a child process."""

from __future__ import annotations

import functools
import os
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# `gi` (PyGObject + GStreamer typelibs) comes from Debian packages, so only the system
# interpreter can import it; the project's virtualenv cannot.
SYSTEM_PYTHON = Path("/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).with_name("gst_rtsp_loop.py")
INSTALL_HINT = "run scripts/install-system-packages.sh"
_GI_PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer; Gst.init(None)"
)
_LOG_TAIL_CHARS = 2000


class RtspServerError(RuntimeError):
    """The RTSP server could not be started or died while starting."""


@functools.cache
def is_gstreamer_rtsp_available() -> bool:
    """Whether /usr/bin/python3 can import GStreamer and its RTSP server library."""
    if not SYSTEM_PYTHON.exists():
        return False
    try:
        probe = subprocess.run(
            [str(SYSTEM_PYTHON), "-c", _GI_PROBE], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


class RtspLoopServer:
    """A real GStreamer RTSP server looping MP4 files, run as a child process."""

    def __init__(
        self, mounts: Mapping[str, Path], port: int | None = None, host: str = "127.0.0.1"
    ) -> None:
        if not mounts:
            raise ValueError("RtspLoopServer needs at least one mount")
        # Absolute, so the child finds the clips whatever its working directory.
        self.mounts = {name.strip("/"): Path(path).absolute() for name, path in mounts.items()}
        # None until the first start picks a free port; kept afterwards so that a restart
        # after kill() serves the same URLs, as a rebooted camera would.
        self.port = port
        self.host = host
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, timeout_s: float = 20.0) -> None:
        """Spawn the server and block until it listens; raise RtspServerError otherwise."""
        if self._process is not None and self._process.poll() is None:
            raise RtspServerError(f"RTSP server already running (pid {self._process.pid})")
        if not is_gstreamer_rtsp_available():
            raise RtspServerError(
                f"GStreamer RTSP server not installed for {SYSTEM_PYTHON}: {INSTALL_HINT}"
            )
        for name, path in self.mounts.items():
            if not path.is_file():
                raise RtspServerError(f"clip for mount {name!r} not found: {path}")
        self._close_log()
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
            mode="w+", prefix="cctwin-rtsp-", suffix=".log", delete=False
        )
        command = [str(SYSTEM_PYTHON), str(SERVER_SCRIPT), "--host", self.host]
        command += ["--port", str(self.port or 0)]
        for name, path in self.mounts.items():
            command += ["--mount", f"{name}={path}"]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        try:
            self.port = self._wait_until_ready(self._process, timeout_s)
        except RtspServerError:
            # The error message already carries the log's tail.
            self.kill()
            self._close_log()
            raise

    def url(self, mount: str) -> str:
        if self.port is None:
            raise RtspServerError("RTSP server has no port yet: call start() first")
        return f"rtsp://{self.host}:{self.port}/{mount.strip('/')}"

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the server to exit (SIGTERM); SIGKILL it if it has not after ``timeout_s``."""
        process = self._process
        if process is None:
            self._close_log()
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._release(process)
        self._close_log()

    def kill(self) -> None:
        """SIGKILL the server at once, e.g. to simulate a camera dropping off the network.

        Unlike stop(), this keeps the server's log for log_tail() until the next start().
        """
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        self._release(process)

    def cpu_seconds(self) -> float:
        """User + system CPU time the running server process has used so far."""
        if self._process is None:
            raise RtspServerError("RTSP server is not running")
        stat = Path(f"/proc/{self._process.pid}/stat").read_text()
        # Field 2 (comm) may contain spaces, so count fields from after its closing parenthesis.
        fields_after_comm = stat[stat.rindex(")") + 2 :].split()
        user_ticks, system_ticks = int(fields_after_comm[11]), int(fields_after_comm[12])
        return (user_ticks + system_ticks) / os.sysconf("SC_CLK_TCK")

    def log_tail(self) -> str:
        """The last lines the server wrote to stderr (GStreamer warnings, tracebacks)."""
        if self._log is None:
            return ""
        try:
            text = Path(self._log.name).read_text(errors="replace")
        except OSError:
            return ""
        return text[-_LOG_TAIL_CHARS:].strip()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        # Never leave an orphan server holding the port, or its log, if the owner forgot stop().
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
        if getattr(self, "_log", None) is not None:
            self._close_log()

    def _wait_until_ready(self, process: subprocess.Popen[str], timeout_s: float) -> int:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RtspServerError(self._failure(f"RTSP server not ready after {timeout_s} s"))
            readable, _, _ = select.select([process.stdout], [], [], remaining)
            if not readable:
                continue
            line = process.stdout.readline()
            if not line:
                process.wait()
                raise RtspServerError(
                    self._failure(f"RTSP server exited with code {process.returncode}")
                )
            words = line.split()
            if len(words) == 2 and words[0] == "READY":
                return int(words[1])

    def _failure(self, summary: str) -> str:
        tail = self.log_tail()
        return f"{summary}; its stderr:\n{tail}" if tail else summary

    def _release(self, process: subprocess.Popen[str]) -> None:
        if process.stdout is not None:
            process.stdout.close()
        self._process = None

    def _close_log(self) -> None:
        if self._log is None:
            return
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
        self._log = None
