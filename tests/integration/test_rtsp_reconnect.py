"""PyAvSource on a live RTSP camera that goes away: it must notice, reconnect and carry on.

The camera is GStreamer's RTSP server looping a generated clip (bench.rtsp_server). A
killed server is a camera that reboots (its TCP connections close at once); a frozen one
(SIGSTOP) is a camera that drops off the network (the connection stays open, silent).
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.bench.rtsp_server import RtspLoopServer, is_gstreamer_rtsp_available
from cctwin.config import ReconnectConfig, SamplingConfig, SamplingMode, SourceConfig
from cctwin.ingest.pyav import PyAvSource

pytestmark = [pytest.mark.rtsp, pytest.mark.slow]

WIDTH, HEIGHT, FPS, GOP, SECONDS = 640, 360, 25, 25, 4
SAMPLED_FPS = 5
BACKOFF = ReconnectConfig(initial_s=0.2, max_s=1.0)


@pytest.fixture(autouse=True)
def require_gstreamer_rtsp() -> None:
    if not is_gstreamer_rtsp_available():
        pytest.skip(
            "GStreamer RTSP server not importable by /usr/bin/python3: "
            "run scripts/install-system-packages.sh"
        )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    box = MovingBox(
        start_centre=(80, 80), end_centre=(560, 280), size=(60, 40), colour_bgr=(0, 0, 255)
    )
    return write_synthetic_clip(
        tmp_path_factory.mktemp("rtsp_reconnect") / "street_640x360_25fps.mp4",
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        seconds=SECONDS,
        gop=GOP,
        moving_boxes=[box],
    )


@pytest.fixture
def server(clip: Path) -> Iterator[RtspLoopServer]:
    running = RtspLoopServer({"cam1": clip})
    running.start()
    try:
        yield running
    finally:
        if running.pid is not None:
            os.kill(running.pid, signal.SIGCONT)  # in case a test left it frozen
        running.stop()


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the frame came out of the source
    index: int
    captured_at: datetime
    stream_time_s: float


class Reader:
    """Iterates a source's frames in a thread, recording what arrives and how it ends."""

    def __init__(self, source: PyAvSource) -> None:
        self.source = source
        self.frames: list[Arrival] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rtsp-reader", daemon=True)

    def _run(self) -> None:
        try:
            for frame in self.source.frames():
                arrival = Arrival(
                    time.monotonic(), frame.index, frame.captured_at, frame.stream_time_s
                )
                self.frames.append(arrival)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def start(self) -> Reader:
        self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_for(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Whether `condition` came true in time (False at once if the thread has died)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return True
            if not self.alive():
                return condition()
            time.sleep(0.05)
        return condition()

    def arrived_after(self, moment: float) -> list[Arrival]:
        return [a for a in self.frames if a.at > moment]

    def stop(self, timeout_s: float) -> float:
        """Close the source; how long the thread took to end (inf if it did not)."""
        started = time.monotonic()
        self.source.close()
        self._thread.join(timeout_s)
        return float("inf") if self.alive() else time.monotonic() - started


def live_source(url: str, open_timeout_s: float, read_timeout_s: float) -> PyAvSource:
    return PyAvSource(
        "cam1",
        SourceConfig(
            url=url,
            open_timeout_s=open_timeout_s,
            read_timeout_s=read_timeout_s,
            reconnect=BACKOFF,
        ),
        SamplingConfig(mode=SamplingMode.FPS, fps=SAMPLED_FPS),
    )


def assert_monotonic(frames: list[Arrival]) -> None:
    for earlier, later in itertools.pairwise(frames):
        assert later.index > earlier.index, (earlier, later)
        assert later.captured_at > earlier.captured_at, (earlier, later)


def test_source_reconnects_after_the_server_restarts(server: RtspLoopServer) -> None:
    port = server.port
    source = live_source(server.url("cam1"), open_timeout_s=5, read_timeout_s=3)
    reader = Reader(source).start()
    try:
        assert reader.wait_for(lambda: len(reader.frames) >= 3, 20), reader.error
        time.sleep(2.0)
        server.kill()
        killed_at = time.monotonic()
        time.sleep(1.5)
        server.start()
        restarted_at = time.monotonic()
        assert server.port == port
        assert reader.wait_for(lambda: len(reader.arrived_after(restarted_at)) >= 10, 30), (
            reader.error,
            source.stats,
        )
    finally:
        took_s = reader.stop(10)
    assert took_s < 5, "the reading thread did not end after close()"
    assert reader.error is None, repr(reader.error)

    before = [a for a in reader.frames if a.at <= killed_at]
    after = reader.arrived_after(restarted_at)
    assert len(before) >= SAMPLED_FPS  # about 2 s at 5 fps
    assert source.stats.reconnects >= 1
    # Back within the backoff cap (1 s) plus one open of the restarted server.
    assert after[0].at - restarted_at < 10, after[0].at - restarted_at
    assert_monotonic(reader.frames)
    # Sampling at 5 of 25 fps keeps every 5th decoded frame on both connections.
    steps = {later.index - earlier.index for earlier, later in itertools.pairwise(after)}
    assert steps == {FPS // SAMPLED_FPS}, steps


def test_source_recovers_from_a_frozen_server(server: RtspLoopServer) -> None:
    assert server.pid is not None
    source = live_source(server.url("cam1"), open_timeout_s=3, read_timeout_s=2)
    # (An earlier PyAvSource let the read timeout escape frames() as av.error.ExitError.)
    reader = Reader(source).start()
    try:
        assert reader.wait_for(lambda: len(reader.frames) >= 3, 20), reader.error
        os.kill(server.pid, signal.SIGSTOP)
        time.sleep(8.0)  # four read timeouts: long enough to give up on the connection
        os.kill(server.pid, signal.SIGCONT)
        resumed_at = time.monotonic()
        reader.wait_for(lambda: len(reader.arrived_after(resumed_at)) >= 5, 20)
    finally:
        took_s = reader.stop(10)
    assert reader.error is None, repr(reader.error)
    assert len(reader.arrived_after(resumed_at)) >= 5
    assert source.stats.reconnects >= 1  # the stall was noticed, not waited out
    assert_monotonic(reader.frames)
    assert took_s < 5
