"""The one analysis loop: measured rates, frame order, sinks, one-frame sources."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from cctwin.config import CameraConfig, Config, SourceConfig
from cctwin.ingest.source import SourceStats
from cctwin.loop import AnalysisLoop, CameraRuntime, IteratorFeed
from cctwin.pipeline import StepResult
from cctwin.types import Detections, Frame

T0 = datetime(2026, 12, 6, tzinfo=UTC)


class Clip:
    """A VideoSource of blank frames at `period_s`, for one camera."""

    def __init__(self, camera_id: str, count: int, period_s: float) -> None:
        self.camera_id = camera_id
        self.stats = SourceStats()
        self.count, self.period_s = count, period_s

    def frames(self) -> Iterator[Frame]:
        for i in range(self.count):
            self.stats.add("decoded")
            at = i * self.period_s
            image = np.zeros((48, 64, 3), np.uint8)
            yield Frame(self.camera_id, i + 1, T0 + timedelta(seconds=at), at, image)

    def close(self) -> None:
        return None


class NoDetections:
    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        return [Detections.empty() for _ in frames]


class Recorder:
    def __init__(self) -> None:
        self.steps: list[StepResult] = []
        self.ticks = 0

    def on_step(self, runtime: CameraRuntime, step: StepResult) -> None:
        self.steps.append(step)

    def on_tick(self, runtimes: Sequence[CameraRuntime], now: float) -> None:
        self.ticks += 1


def run(count: int, period_s: float) -> tuple[AnalysisLoop, Recorder]:
    camera = CameraConfig(id="cam", source=SourceConfig(url="clip.mp4"))
    recorder = Recorder()
    loop = AnalysisLoop([camera], Config(cameras=[camera]), NoDetections(), [recorder])
    loop.run(IteratorFeed(Clip("cam", count, period_s)), lambda: False)
    return loop, recorder


def test_the_tracker_gets_the_rate_the_frames_really_come_at() -> None:
    loop, recorder = run(count=10, period_s=0.2)
    runtime = loop.runtimes["cam"]
    assert runtime.analysed_fps == 5.0
    assert runtime.pipeline is not None
    # Every frame reaches the sinks once, in order, the first one included.
    assert [s.frame.index for s in recorder.steps] == list(range(1, 11))
    assert runtime.stats.analysed == 10
    assert recorder.ticks >= 1


def test_keyframes_two_seconds_apart_are_half_a_frame_per_second() -> None:
    loop, _ = run(count=3, period_s=2.0)
    assert loop.runtimes["cam"].analysed_fps == 0.5


def test_a_source_of_one_frame_is_still_analysed() -> None:
    loop, recorder = run(count=1, period_s=1.0)
    assert [s.frame.index for s in recorder.steps] == [1]
    assert loop.runtimes["cam"].analysed_fps == 1.0
