"""The one analysis loop: frames -> batched detection -> track -> analytics -> sinks.

`cctwin up`'s workers, `cctwin analyze` and `cctwin bench streams` all run this loop; they
differ only in where frames come from (a `FrameFeed`) and where results go (`StepSink`s).
Each camera's tracker is built once its real analysed rate is known: the loop measures it
from the first two frames' stream times, so sampling, keyframes-only decoding and the
source's own frame rate are all accounted for, the same way everywhere.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cctwin.analytics.safety import SafetyModels
from cctwin.analytics.stages import StageClock
from cctwin.config import CameraConfig, Config
from cctwin.detect.detector import Detector
from cctwin.ingest.motion import MotionGates
from cctwin.ingest.source import SourceStats, VideoSource
from cctwin.messages import CameraHealth
from cctwin.pipeline import CameraPipeline, StepResult
from cctwin.types import Detections, Frame

log = logging.getLogger(__name__)

# Used only when a source ends after a single frame: nothing to measure a rate from.
FALLBACK_RATE_FPS = 1.0
SourceFactory = Callable[[CameraConfig], VideoSource]


@dataclass
class CameraRuntime:
    """One camera's state inside the loop."""

    camera: CameraConfig
    stats: SourceStats = field(default_factory=SourceStats)
    pipeline: CameraPipeline | None = None
    analysed_fps: float | None = None
    pending: tuple[Frame, Detections] | None = None
    last_frame_monotonic: float = 0.0
    last_frame_at: datetime | None = None
    lag_s: float = 0.0
    analysed_times: list[float] = field(default_factory=list)
    health: CameraHealth | None = None  # the quality audit's latest result, if it runs


class StepSink(Protocol):
    """Where the loop's results go: the bus, files, a benchmark tally."""

    def on_step(self, runtime: CameraRuntime, step: StepResult) -> None:
        """One analysed frame of one camera, in frame order."""
        ...

    def on_tick(self, runtimes: Sequence[CameraRuntime], now: float) -> None:
        """Called after every batch and when idle (statuses, finished clips)."""
        ...


class FrameFeed(Protocol):
    """Frames of several cameras, as they come."""

    def next_batch(self, size: int, timeout_s: float) -> list[Frame] | None:
        """Up to `size` frames ([] if none came in time); None once every source ended."""
        ...

    def close(self) -> None: ...


class IteratorFeed:
    """One source read in the loop's own thread, every frame (files: nothing is dropped)."""

    def __init__(self, source: VideoSource, clock: StageClock | None = None) -> None:
        self.source = source
        self.clock = clock
        self._frames: Iterator[Frame] = source.frames()

    def next_batch(self, size: int, timeout_s: float) -> list[Frame] | None:
        batch: list[Frame] = []
        while len(batch) < size:
            started = time.perf_counter()
            frame = next(self._frames, None)
            if self.clock is not None and frame is not None:
                # Demux, decode and conversion of each frame are charged to 'decode'.
                self.clock.add("decode", time.perf_counter() - started)
            if frame is None:
                return batch or None
            batch.append(frame)
        return batch

    def close(self) -> None:
        self.source.close()


class ThreadedFeed:
    """Live cameras: a reader thread per camera, reconnecting; frames dropped when behind."""

    def __init__(
        self,
        runtimes: Sequence[CameraRuntime],
        open_source: SourceFactory,
        retry_s: float = 2.0,
    ) -> None:
        self.frames: queue.Queue[Frame] = queue.Queue(maxsize=max(4, 2 * len(runtimes)))
        self.stop = threading.Event()
        self.open_source = open_source
        self.retry_s = retry_s
        self.readers = [
            threading.Thread(target=self._read, args=(r,), daemon=True, name=r.camera.id)
            for r in runtimes
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, runtime: CameraRuntime) -> None:
        first = True
        while not self.stop.is_set():
            try:
                source = self.open_source(runtime.camera)
            except Exception as exc:  # an ONVIF camera that is away, a missing file
                log.warning("%s: %s", runtime.camera.id, exc)
                runtime.stats.last_error = str(exc)
                self.stop.wait(5.0)
                continue
            if not first:
                source.stats.reconnects = runtime.stats.reconnects + 1
            first = False
            runtime.stats = source.stats
            closer = threading.Thread(target=self._close_on_stop, args=(source,), daemon=True)
            closer.start()
            try:
                for frame in source.frames():
                    try:
                        self.frames.put_nowait(frame)
                    except queue.Full:
                        # The detector is behind: drop rather than drift away from live.
                        source.stats.add("dropped")
                    if self.stop.is_set():
                        break
            except Exception as exc:  # a file that vanished, a source we cannot open
                source.stats.last_error = str(exc)
                log.warning("%s: %s", runtime.camera.id, exc)
            if not self.stop.is_set():
                self.stop.wait(self.retry_s)  # a file ended or a source failed: start again

    def _close_on_stop(self, source: VideoSource) -> None:
        self.stop.wait()
        source.close()

    def next_batch(self, size: int, timeout_s: float) -> list[Frame] | None:
        """Wait for one frame, then take whatever else is ready (any camera), up to `size`."""
        try:
            batch = [self.frames.get(timeout=timeout_s)]
        except queue.Empty:
            return []
        while len(batch) < size:
            try:
                batch.append(self.frames.get_nowait())
            except queue.Empty:
                break
        return batch

    def close(self) -> None:
        self.stop.set()
        for reader in self.readers:
            reader.join(timeout=5)


class AnalysisLoop:
    """Runs cameras through one batched detector and their own pipelines, into sinks."""

    def __init__(
        self,
        cameras: Sequence[CameraConfig],
        config: Config,
        detector: Detector | None,
        sinks: Sequence[StepSink],
        clock: StageClock | None = None,
        models: SafetyModels | None = None,
    ) -> None:
        self.config = config
        self.detector = detector
        self.sinks = list(sinks)
        self.clock = clock or StageClock()
        # One SafetyModels per process, so every model loads once for all its cameras.
        self.models = models or SafetyModels()
        self.runtimes = {c.id: CameraRuntime(c) for c in cameras}
        # The detector runs only on frames where something moved (per camera, sampling.motion);
        # still frames track the last boxes again, so tracks and dwell times carry on.
        self.gates = MotionGates({c.id: c.sampling.motion for c in cameras})

    def run(self, feed: FrameFeed, should_stop: Callable[[], bool]) -> None:
        """Until `should_stop()` or the feed ends; a detector of None only decodes."""
        batch_size = self.config.detector.batch_size
        while not should_stop():
            batch = feed.next_batch(batch_size, 0.2)
            if batch is None:
                break
            if batch:
                self.analyse(batch)
            self._tick()
        self.flush()

    def analyse(self, batch: list[Frame]) -> None:
        if self.detector is None:
            for frame in batch:
                self._account(self.runtimes[frame.camera_id], frame)
            return
        started = time.perf_counter()
        found = self.gates.detect(batch, self.detector.detect)
        self.clock.add("detect", time.perf_counter() - started, len(batch))
        for frame, detections in zip(batch, found, strict=True):
            self._step(self.runtimes[frame.camera_id], frame, detections)

    def flush(self) -> None:
        """Analyse frames still waiting for a rate measurement (a source of one frame)."""
        for runtime in self.runtimes.values():
            if runtime.pending is not None:
                frame, detections = runtime.pending
                runtime.pending = None
                self._build(runtime, FALLBACK_RATE_FPS)
                self._emit(runtime, frame, detections)
        self._tick()

    def _step(self, runtime: CameraRuntime, frame: Frame, detections: Detections) -> None:
        if runtime.pipeline is None:
            if runtime.pending is None:
                runtime.pending = (frame, detections)
                return
            first, first_detections = runtime.pending
            runtime.pending = None
            period = frame.stream_time_s - first.stream_time_s
            self._build(runtime, 1.0 / period if period > 0 else FALLBACK_RATE_FPS)
            self._emit(runtime, first, first_detections)
        self._emit(runtime, frame, detections)

    def _build(self, runtime: CameraRuntime, rate: float) -> None:
        runtime.analysed_fps = rate
        runtime.pipeline = CameraPipeline(
            runtime.camera, self.config.tracker, rate, self.clock, models=self.models
        )

    def _emit(self, runtime: CameraRuntime, frame: Frame, detections: Detections) -> None:
        assert runtime.pipeline is not None
        step = runtime.pipeline.step(frame, detections)
        self._account(runtime, frame)
        for sink in self.sinks:
            sink.on_step(runtime, step)

    def _account(self, runtime: CameraRuntime, frame: Frame) -> None:
        done = time.monotonic()
        runtime.last_frame_monotonic = done
        runtime.last_frame_at = frame.captured_at
        runtime.lag_s = done - frame.received_monotonic_s
        runtime.analysed_times.append(done)
        runtime.stats.add("analysed")

    def _tick(self) -> None:
        now = time.monotonic()
        runtimes = list(self.runtimes.values())
        for sink in self.sinks:
            sink.on_tick(runtimes, now)
