"""Analysis worker processes: each serves many cameras with one batched detector."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cctwin.config import CameraConfig, Config
from cctwin.ingest.clips import ClipRecorder
from cctwin.ingest.source import SourceStats
from cctwin.types import CameraState, CameraStatus, Event, Frame, Observation

log = logging.getLogger(__name__)

LIVE_INTERVAL_S = 1.0
OFFLINE_AFTER_S = 5.0


@dataclass(frozen=True)
class EventBatch:
    """Events of one analysed frame, with the frame's snapshot (JPEG, boxes drawn)."""

    camera_id: str
    events: list[Event]
    snapshot_jpeg: bytes | None
    captured_at: datetime


@dataclass(frozen=True)
class ObservationBatch:
    """Measurements of one analysed frame."""

    observations: list[Observation]


@dataclass(frozen=True)
class LiveFrame:
    """The latest analysed frame of a camera for the video wall (JPEG, boxes drawn)."""

    camera_id: str
    jpeg: bytes
    captured_at: datetime


@dataclass(frozen=True)
class ClipReady:
    """An MP4 cut around an event that an alert rule cares about (packets copied, not re-encoded)."""

    camera_id: str
    event_id: str
    mp4: bytes
    finished_at: datetime


WorkerMessage = EventBatch | ObservationBatch | LiveFrame | CameraStatus | ClipReady


@dataclass
class _CameraRuntime:
    camera: CameraConfig
    clips: ClipRecorder | None = None
    stats: SourceStats | None = None
    last_frame_monotonic: float = 0.0
    last_frame_at: datetime | None = None
    last_live: float = 0.0
    lag_s: float = 0.0
    analysed_times: list[float] = field(default_factory=list)


def _read(runtime: _CameraRuntime, frames: queue.Queue[Frame], stop: threading.Event) -> None:
    from cctwin.ingest.pyav import PyAvSource

    while not stop.is_set():
        try:
            source = PyAvSource(runtime.camera.id, runtime.camera.source, runtime.camera.sampling)
        except Exception as exc:  # an ONVIF camera that is away, a missing file
            log.warning("%s: %s", runtime.camera.id, exc)
            if runtime.stats is None:
                runtime.stats = SourceStats()
            runtime.stats.last_error = str(exc)
            stop.wait(5.0)
            continue
        if runtime.stats is not None:
            source.stats.reconnects = runtime.stats.reconnects + 1
        runtime.stats = source.stats
        if runtime.clips is not None:
            source.packet_listener = runtime.clips.on_packet

        def close_when_stopped(source: Any = source) -> None:
            stop.wait()
            source.close()

        threading.Thread(target=close_when_stopped, daemon=True).start()
        try:
            for frame in source.frames():
                try:
                    frames.put_nowait(frame)
                except queue.Full:
                    # The detector is behind: drop rather than drift away from live.
                    source.stats.add("dropped")
        except Exception as exc:  # a file that vanished, a source we cannot open
            source.stats.last_error = str(exc)
            log.warning("%s: %s", runtime.camera.id, exc)
        if not stop.is_set():
            stop.wait(2.0)  # a file ended or a source failed: start again (demo loops)


def next_batch(frames: queue.Queue[Frame], size: int, timeout_s: float) -> list[Frame]:
    """Wait for one frame, then take whatever else is ready (any camera), up to `size`."""
    try:
        batch = [frames.get(timeout=timeout_s)]
    except queue.Empty:
        return []
    while len(batch) < size:
        try:
            batch.append(frames.get_nowait())
        except queue.Empty:
            break
    return batch


def run_worker(
    cameras: Sequence[CameraConfig],
    config: Config,
    outbox: Any,
    stop: Any,
    service_pid: int,
) -> None:
    """Worker process entry point: read, detect (batched), track, analyse, report.

    `service_pid` is the process that spawned this worker; the worker exits once it is gone.
    """
    from cctwin.alerts.rules import matches
    from cctwin.analytics.safety import SafetyModels
    from cctwin.detect.detector import create_detector
    from cctwin.pipeline import CameraPipeline
    from cctwin.render import encode_jpeg, render_overlay

    logging.basicConfig(level=logging.WARNING)

    detector = create_detector(config.detector)
    media = config.media
    runtimes = {
        c.id: _CameraRuntime(
            c, ClipRecorder(media.pre_roll_s, media.post_roll_s) if media.clips else None
        )
        for c in cameras
    }
    models = SafetyModels()
    pipelines = {
        c.id: CameraPipeline(c, config.tracker, c.sampling.fps or 5.0, models=models)
        for c in cameras
    }
    frames: queue.Queue[Frame] = queue.Queue(maxsize=max(4, 2 * len(cameras)))
    local_stop = threading.Event()
    readers = [
        threading.Thread(target=_read, args=(r, frames, local_stop), daemon=True)
        for r in runtimes.values()
    ]
    for reader in readers:
        reader.start()
    next_status = 0.0
    # A service killed with SIGKILL (or by the OOM killer) runs no shutdown code and never
    # sets `stop`; its workers would decode and infer forever. They are re-parented when it
    # dies, so a changed parent pid means nobody is listening any more. The pid comes from the
    # service itself: the service may die while this worker is still importing its models.
    while not stop.is_set():
        if os.getppid() != service_pid:
            logging.getLogger(__name__).warning("service process is gone; worker exits")
            # Nobody reads the queue any more: exiting must not wait to flush it.
            outbox.cancel_join_thread()
            break
        now = time.monotonic()
        if now >= next_status:
            for runtime in runtimes.values():
                outbox.put(_status(runtime, now))
            next_status = now + config.service.status_interval_s
        batch = next_batch(frames, config.detector.batch_size, 0.2)
        if not batch:
            continue
        for frame, detections in zip(batch, detector.detect(batch), strict=True):
            runtime = runtimes[frame.camera_id]
            step = pipelines[frame.camera_id].step(frame, detections)
            done = time.monotonic()
            runtime.last_frame_monotonic = done
            runtime.last_frame_at = frame.captured_at
            runtime.lag_s = done - frame.received_monotonic_s
            runtime.analysed_times.append(done)
            if runtime.stats is not None:
                runtime.stats.add("analysed")
            overlay = None
            if step.analysis.events or done - runtime.last_live >= LIVE_INTERVAL_S:
                overlay = encode_jpeg(
                    render_overlay(frame.image, step.tracks, runtime.camera.analytics)
                )
            if step.analysis.events:
                outbox.put(
                    EventBatch(frame.camera_id, step.analysis.events, overlay, frame.captured_at)
                )
                # Clips only for events an alert rule wants: evidence, not a recording of all.
                alerting = [
                    e for e in step.analysis.events
                    if any(matches(rule, e) for rule in config.alerts.rules)
                ]  # fmt: skip
                if alerting and runtime.clips is not None:
                    runtime.clips.request(alerting[0].id, frame.stream_time_s)
            if step.analysis.observations:
                outbox.put(ObservationBatch(step.analysis.observations))
            if overlay is not None and done - runtime.last_live >= LIVE_INTERVAL_S:
                runtime.last_live = done
                outbox.put(LiveFrame(frame.camera_id, overlay, frame.captured_at))
        for runtime in runtimes.values():
            if runtime.clips is not None:
                for event_id, mp4 in runtime.clips.take_ready():
                    outbox.put(ClipReady(runtime.camera.id, event_id, mp4, datetime.now(UTC)))
    local_stop.set()
    for reader in readers:
        reader.join(timeout=5)


def _status(runtime: _CameraRuntime, now: float) -> CameraStatus:
    recent = [t for t in runtime.analysed_times if now - t <= 10.0]
    runtime.analysed_times = recent
    window = min(10.0, max(now - recent[0], 1.0)) if recent else 10.0
    stats = runtime.stats.as_dict() if runtime.stats is not None else {}
    if runtime.last_frame_monotonic == 0.0:
        state = CameraState.STARTING if not stats.get("last_error") else CameraState.OFFLINE
    elif now - runtime.last_frame_monotonic <= OFFLINE_AFTER_S:
        state = CameraState.ONLINE
    else:
        state = CameraState.OFFLINE
    return CameraStatus(
        camera_id=runtime.camera.id,
        state=state,
        reported_at=datetime.now(UTC),
        fps=round(len(recent) / window, 2),
        last_frame_at=runtime.last_frame_at,
        frames_decoded=int(stats.get("decoded", 0)),
        frames_analysed=int(stats.get("analysed", 0)),
        frames_dropped=int(stats.get("dropped", 0)),
        frames_corrupt=int(stats.get("corrupt", 0)),
        reconnects=int(stats.get("reconnects", 0)),
        lag_s=round(runtime.lag_s, 3),
        last_error=str(stats.get("last_error", "")),
    )


class WorkerPool:
    """Spawns worker processes over the enabled cameras and restarts any that die."""

    def __init__(self, config: Config, workers: int) -> None:
        self.config = config
        cameras = [c for c in config.cameras if c.enabled]
        count = max(1, min(workers, len(cameras))) if cameras else 0
        self.groups = [cameras[i::count] for i in range(count)]
        self.context = multiprocessing.get_context("spawn")
        self.outbox: Any = self.context.Queue(maxsize=10000)
        self.stop_event: Any = self.context.Event()
        self.processes: list[Any] = []
        self.restarts = 0

    def start(self) -> None:
        self.processes = [self._spawn(group) for group in self.groups]

    def _spawn(self, group: Sequence[CameraConfig]) -> Any:
        process = self.context.Process(
            target=run_worker,
            args=(list(group), self.config, self.outbox, self.stop_event, os.getpid()),
            daemon=True,
        )
        process.start()
        return process

    def supervise(self) -> None:
        """Restart dead workers (called periodically by the service)."""
        if self.stop_event.is_set():
            return
        for index, process in enumerate(self.processes):
            if not process.is_alive():
                log.warning("worker %d exited (%s); restarting", index, process.exitcode)
                self.restarts += 1
                self.processes[index] = self._spawn(self.groups[index])

    def get(self, timeout_s: float) -> WorkerMessage | None:
        try:
            message: WorkerMessage = self.outbox.get(timeout=timeout_s)
            return message
        except queue.Empty:
            return None

    def stop(self, timeout_s: float = 5.0) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                process.kill()
        self.processes = []
