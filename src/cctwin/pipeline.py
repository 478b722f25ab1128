"""The per-camera loop after detection: track, then analyse; with time spent per stage."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from cctwin.analytics.camera import CameraAnalytics
from cctwin.config import AnalyticsConfig, TrackerConfig
from cctwin.track.tracker import create_tracker
from cctwin.types import Analysis, Detections, Frame


class StageClock:
    """Accumulates wall time per named stage (decode, detect, track, analytics)."""

    def __init__(self) -> None:
        self.total_s: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def add(self, stage: str, seconds: float, calls: int = 1) -> None:
        self.total_s[stage] += seconds
        self.calls[stage] += calls

    def ms_per_frame(self, frames: int) -> dict[str, float]:
        return {k: round(1000 * v / max(frames, 1), 3) for k, v in self.total_s.items()}


@dataclass(frozen=True, slots=True)
class StepResult:
    """One analysed frame: its confirmed tracks and what the analytics made of them."""

    frame: Frame
    tracks: Detections
    analysis: Analysis


class CameraPipeline:
    """detections -> tracker -> analytics for one camera; detection is batched outside."""

    def __init__(
        self,
        camera_id: str,
        tracker: TrackerConfig,
        analytics: AnalyticsConfig,
        frame_rate: float,
        clock: StageClock | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.tracker = create_tracker(tracker, frame_rate)
        self.analytics = CameraAnalytics(camera_id, analytics)
        self.clock = clock or StageClock()

    def step(self, frame: Frame, detections: Detections) -> StepResult:
        started = time.perf_counter()
        tracks = self.tracker.update(detections, frame.stream_time_s)
        tracked = time.perf_counter()
        analysis = self.analytics.update(frame, tracks)
        self.clock.add("track", tracked - started)
        self.clock.add("analytics", time.perf_counter() - tracked)
        return StepResult(frame, tracks, analysis)
