"""The per-camera loop after detection: track, then analyse; with time spent per stage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cctwin.analytics.camera import CameraAnalytics
from cctwin.analytics.safety import SafetyModels, build_safety
from cctwin.analytics.stages import StageClock
from cctwin.config import CameraConfig, ObjectFilterConfig, TrackerConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.track.tracker import EarlierBoxes, create_tracker
from cctwin.types import Analysis, Detections, Frame


@dataclass(frozen=True, slots=True)
class StepResult:
    """One analysed frame: its confirmed tracks and what the analytics made of them."""

    frame: Frame
    detections: Detections
    tracks: Detections
    analysis: Analysis
    # Boxes from earlier frames of tracks confirmed in this one (offline output only).
    earlier: list[EarlierBoxes] = field(default_factory=list)


def filter_objects(
    detections: Detections, filters: dict[str, ObjectFilterConfig], scale: float
) -> Detections:
    """Drop boxes whose size or shape is implausible for their class on this camera."""
    if not filters or len(detections) == 0:
        return detections
    width = (detections.xyxy[:, 2] - detections.xyxy[:, 0]) * scale
    height = (detections.xyxy[:, 3] - detections.xyxy[:, 1]) * scale
    area = width * height
    ratio = width / np.maximum(height, 1e-6)
    keep: npt.NDArray[np.bool_] = np.ones(len(detections), dtype=bool)
    for name, rule in filters.items():
        rows = detections.class_id == COCO_LABELS.index(name)
        bad = (area < rule.min_area_px) | (ratio < rule.min_ratio)
        if rule.max_area_px is not None:
            bad |= area > rule.max_area_px
        if rule.max_ratio is not None:
            bad |= ratio > rule.max_ratio
        keep &= ~(rows & bad)
    return detections[keep]


class CameraPipeline:
    """detections -> filters -> tracker -> analytics for one camera; detection is batched outside."""

    def __init__(
        self,
        camera: CameraConfig,
        tracker: TrackerConfig,
        frame_rate: float,
        clock: StageClock | None = None,
        models: SafetyModels | None = None,
    ) -> None:
        self.camera = camera
        self.tracker = create_tracker(tracker, frame_rate)
        # Pass one SafetyModels to every camera of a process so each model loads once.
        safety = build_safety(camera.id, camera.analytics, models or SafetyModels())
        self.clock = clock or StageClock()
        self.analytics = CameraAnalytics(camera.id, camera.analytics, safety, self.clock)

    def step(self, frame: Frame, detections: Detections) -> StepResult:
        started = time.perf_counter()
        detections = filter_objects(detections, self.camera.filters, frame.scale)
        tracks = self.tracker.update(detections, frame.stream_time_s)
        tracked = time.perf_counter()
        analysis = self.analytics.update(frame, tracks)
        self.clock.add("track", tracked - started)
        self.clock.add("analytics", time.perf_counter() - tracked)
        return StepResult(frame, detections, tracks, analysis, self.tracker.take_earlier())
