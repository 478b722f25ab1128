"""Analysis worker processes: each runs the analysis loop over its cameras onto the bus."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cctwin.analytics.positions import PositionReporter
from cctwin.bus.protocol import Publisher, WorkerLink
from cctwin.camerahealth.sink import HealthSink
from cctwin.config import CameraConfig, Config
from cctwin.ingest.clips import ClipRecorder
from cctwin.ingest.factory import open_source
from cctwin.ingest.source import VideoSource
from cctwin.loop import CameraRuntime, StepSink
from cctwin.messages import LivePreview
from cctwin.pipeline import StepResult
from cctwin.privacy.worker import WorkerMasking
from cctwin.render import encode_jpeg, render_overlay
from cctwin.store.media import MediaStore
from cctwin.store.originals import Originals
from cctwin.types import CameraState, CameraStatus

log = logging.getLogger(__name__)

LIVE_INTERVAL_S = 1.0
OFFLINE_AFTER_S = 5.0


class BusSink:
    """A worker's sink: events with their snapshot, observations, live previews, clips and
    camera status, published as wire models. Media files are written here, to the shared
    media store; the bus carries only their `MediaReady` facts."""

    def __init__(
        self,
        config: Config,
        publisher: Publisher,
        clips: dict[str, ClipRecorder],
    ) -> None:
        from cctwin.alerts.rules import matches

        self.config = config
        self.publisher = publisher
        self.media = MediaStore(config.media.path)
        self.clips = clips
        self._matches = matches
        self._last_live: dict[str, float] = {}
        self._next_status = 0.0
        self._positions: dict[str, PositionReporter] = {}
        self._had_objects: dict[str, bool] = {}
        self.privacy = WorkerMasking(config)
        # Unmasked originals of masked media, for unmask grants (store/originals.py).
        self.originals = (
            Originals(config.media.path, config.privacy.originals_key)
            if config.privacy.keep_originals
            else None
        )
        self._raw_clips: dict[tuple[str, str], bytes] = {}

    def on_step(self, runtime: CameraRuntime, step: StepResult) -> None:
        frame, events = step.frame, step.analysis.events
        now = time.monotonic()
        live_due = now - self._last_live.get(frame.camera_id, 0.0) >= LIVE_INTERVAL_S
        overlay = None
        if events or live_due:
            # Masked before anything is drawn or encoded: no unmasked pixel leaves the worker.
            source = self.privacy.frame(frame.camera_id, frame.image, step.tracks, step.detections)
            image = render_overlay(source, step.tracks, runtime.camera.analytics)
            overlay = encode_jpeg(image)
        for event in events:
            self.publisher.publish(event)
        if events and overlay is not None:
            snapshot = self.media.save_snapshot(
                frame.camera_id, overlay, frame.captured_at, events[0].id
            )
            original = self._original(runtime, step)
            if original is not None and self.originals is not None:
                self.originals.save(snapshot, original)
            self.publisher.publish(snapshot)
            # Clips only for events an alert rule wants: evidence, not a recording of all.
            rules = self.config.alerts.rules
            alerting = [e for e in events if any(self._matches(rule, e) for rule in rules)]
            recorder = self.clips.get(frame.camera_id)
            if alerting and recorder is not None:
                recorder.request(alerting[0].id, frame.stream_time_s)
        for observation in step.analysis.observations:
            self.publisher.publish(observation)
        positions = self._reporter(runtime).positions(frame, step.tracks)
        # An empty frame is sent once, so the map clears; not again while nothing moves.
        if positions.objects or self._had_objects.get(frame.camera_id, True):
            self.publisher.publish(positions)
        self._had_objects[frame.camera_id] = bool(positions.objects)
        if overlay is not None and live_due:
            self._last_live[frame.camera_id] = now
            if self.originals is not None and self.originals.live_wanted(frame.camera_id):
                original = self._original(runtime, step)
                if original is not None:
                    self.originals.save_live(frame.camera_id, original)
            self.publisher.publish(LivePreview(camera_id=frame.camera_id, jpeg=overlay,
                                               captured_at=frame.captured_at))  # fmt: skip

    def _original(self, runtime: CameraRuntime, step: StepResult) -> bytes | None:
        """The unmasked overlay JPEG of a masking camera's frame; None for other cameras."""
        camera_id = step.frame.camera_id
        if self.originals is None or not self.privacy.masks(camera_id):
            return None
        return encode_jpeg(render_overlay(step.frame.image, step.tracks, runtime.camera.analytics))

    def _reporter(self, runtime: CameraRuntime) -> PositionReporter:
        camera = runtime.camera
        if camera.id not in self._positions:
            calibration = camera.analytics.calibration
            self._positions[camera.id] = PositionReporter(camera.id, calibration)
        return self._positions[camera.id]

    def on_tick(self, runtimes: Sequence[CameraRuntime], now: float) -> None:
        if now >= self._next_status:
            self._next_status = now + self.config.service.status_interval_s
            for runtime in runtimes:
                self.publisher.publish(camera_status(runtime, now))
        for camera_id, recorder in self.clips.items():
            for event_id, mp4 in recorder.take_ready():
                if self.privacy.masks(camera_id):
                    self.privacy.submit_clip(camera_id, event_id, mp4)
                    if self.originals is not None:
                        self._raw_clips[(camera_id, event_id)] = mp4
                    continue
                clip = self.media.save_clip(camera_id, mp4, datetime.now(UTC), event_id)
                self.publisher.publish(clip)
        for camera_id, event_id, mp4 in self.privacy.take_clips():
            clip = self.media.save_clip(camera_id, mp4, datetime.now(UTC), event_id)
            raw = self._raw_clips.pop((camera_id, event_id), None)
            if raw is not None and self.originals is not None:
                self.originals.save(clip, raw)
            self.publisher.publish(clip)
        if len(self._raw_clips) > 64:  # clips that failed to mask leave their raw copy here
            for key in list(self._raw_clips)[:-64]:
                del self._raw_clips[key]


def camera_status(runtime: CameraRuntime, now: float) -> CameraStatus:
    """The camera's health from the loop's counters over the last ten seconds."""
    recent = [t for t in runtime.analysed_times if now - t <= 10.0]
    runtime.analysed_times = recent
    window = min(10.0, max(now - recent[0], 1.0)) if recent else 10.0
    stats = runtime.stats
    if runtime.last_frame_monotonic == 0.0:
        state = CameraState.OFFLINE if stats.last_error else CameraState.STARTING
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
        frames_decoded=stats.decoded,
        frames_analysed=stats.analysed,
        frames_dropped=stats.dropped,
        frames_corrupt=stats.corrupt,
        reconnects=stats.reconnects,
        lag_s=round(runtime.lag_s, 3),
        last_error=stats.last_error,
        health=runtime.health,
    )


def open_camera(camera: CameraConfig, clips: ClipRecorder | None = None) -> VideoSource:
    """The camera's video source, feeding its clip recorder when clips are kept."""
    return open_source(camera, packet_listener=None if clips is None else clips.on_packet)


def run_worker(
    cameras: Sequence[CameraConfig],
    config: Config,
    link: WorkerLink,
    stop: Any,
    service_pid: int,
) -> None:
    """Worker process entry point: the analysis loop over `cameras`, published on the bus.

    `service_pid` is the process that spawned this worker; the worker exits once it is gone.
    """
    from cctwin.detect.detector import create_detector
    from cctwin.loop import AnalysisLoop, ThreadedFeed

    logging.basicConfig(level=logging.WARNING)
    publisher = link.open()
    media = config.media
    clips = (
        {c.id: ClipRecorder(media.pre_roll_s, media.post_roll_s) for c in cameras}
        if media.clips
        else {}
    )
    sinks: list[StepSink] = [BusSink(config, publisher, clips)]
    if config.camera_health.enabled:
        sinks.append(HealthSink(config.camera_health, publisher, camera_status, config.media.path))
    loop = AnalysisLoop(cameras, config, create_detector(config.detector), sinks)
    feed = ThreadedFeed(
        list(loop.runtimes.values()), lambda camera: open_camera(camera, clips.get(camera.id))
    )

    def should_stop() -> bool:
        # A service killed with SIGKILL runs no shutdown code and never sets `stop`; its
        # workers are re-parented when it dies, so a changed parent pid means nobody listens.
        if os.getppid() != service_pid:
            log.warning("service process is gone; worker exits")
            return True
        return bool(stop.is_set())

    try:
        loop.run(feed, should_stop)
    finally:
        feed.close()
        publisher.close(2.0 if os.getppid() == service_pid else 0.0)


def share_cores(config: Config, workers: int) -> Config:
    """The config with the detector's "runtime default" threads split among the workers.

    ONNX Runtime's default is a thread per core in every process: with one process per core
    that is cores x cores threads contending. Explicit settings are left as they are.
    """
    if config.detector.threads != 0 or workers < 1:
        return config
    threads = max(1, len(os.sched_getaffinity(0)) // workers)
    detector = config.detector.model_copy(update={"threads": threads})
    return config.model_copy(update={"detector": detector})


class WorkerPool:
    """Spawns worker processes over the enabled cameras and restarts any that die."""

    def __init__(self, config: Config, workers: int, link: WorkerLink) -> None:
        self.link = link
        cameras = [c for c in config.cameras if c.enabled]
        count = max(1, min(workers, len(cameras))) if cameras else 0
        self.config = share_cores(config, count)
        self.groups = [cameras[i::count] for i in range(count)]
        self.context = multiprocessing.get_context("spawn")
        self.stop_event: Any = self.context.Event()
        self.processes: list[Any] = []
        self.restarts = 0

    def start(self) -> None:
        self.processes = [self._spawn(group) for group in self.groups]

    def _spawn(self, group: Sequence[CameraConfig]) -> Any:
        process = self.context.Process(
            target=run_worker,
            args=(list(group), self.config, self.link, self.stop_event, os.getpid()),
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

    def stop(self, timeout_s: float = 5.0) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                process.kill()
        self.processes = []
