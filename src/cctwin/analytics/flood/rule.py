"""Flooding in one ROI as observations (coverage, level) and `flood` events on status changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from cctwin.analytics.flood.background import DryBackground
from cctwin.analytics.flood.monitor import FloodMonitor, FloodReading, Segmenter
from cctwin.config import FloodConfig
from cctwin.geometry import bounding_box_norm
from cctwin.messages import FloodPayload
from cctwin.types import Analysis, Detections, Event, EventKind, Frame, Observation, ObservationKind


class FloodRule:
    """Segments the camera at most every `interval_s`; reports each reading and status change.

    Between segmentations a frame goes to the camera's learned dry background every
    `background_interval_s` (about a millisecond each). Segmenter "water" that looks just like
    the dry scene (wet-looking asphalt, a brown dirt road) is then dropped. The first
    segmentation waits until the background is ready, at most `interval_s`.
    """

    def __init__(
        self,
        camera_id: str,
        config: FloodConfig,
        segment: Segmenter,
        background_interval_s: float = 2.0,
        background_frames: int = 3,
    ) -> None:
        self.camera_id = camera_id
        self.config = config
        self.background_interval = timedelta(seconds=background_interval_s)
        self.warmup = timedelta(
            seconds=min(config.interval_s, background_interval_s * background_frames)
        )
        self.background = DryBackground(min_frames=background_frames)
        self.monitor = FloodMonitor(
            segment,
            roi=config.roi,
            reference_marks=[(m.y, m.level_cm) for m in config.reference_marks],
            alert_level_cm=config.alert_level_cm,
            danger_level_cm=config.danger_level_cm,
            alert_fraction=config.alert_fraction,
            danger_fraction=config.danger_fraction,
            background=self.background,
        )
        self._next_at: datetime | None = None
        self._next_background_at: datetime | None = None
        self.reading: FloodReading | None = None

    @property
    def name(self) -> str:
        return f"flood:{self.config.id}"

    def update(self, frame: Frame, tracks: Detections) -> Analysis:
        at = frame.captured_at
        if self._next_at is None:
            self._next_at = at + self.warmup
        if at < self._next_at:
            if self._next_background_at is None or at >= self._next_background_at:
                self._next_background_at = at + self.background_interval
                self.monitor.observe(frame.image)
            return Analysis()
        self._next_at = at + timedelta(seconds=self.config.interval_s)
        previous = self.monitor.status
        reading = self.monitor.update(frame.image, at)
        self.reading = reading
        observations = [
            self._observation(ObservationKind.FLOOD_COVERAGE, reading.covered_fraction, reading)
        ]
        if reading.current_level_cm is not None:
            observations.append(
                self._observation(ObservationKind.FLOOD_LEVEL, reading.current_level_cm, reading)
            )
        events = []
        if reading.status != previous:
            events.append(self._event(reading, frame))
        return Analysis(events=events, observations=observations)

    def _observation(
        self, kind: ObservationKind, value: float, reading: FloodReading
    ) -> Observation:
        return Observation(
            kind=kind,
            camera_id=self.camera_id,
            rule_id=self.config.id,
            observed_at=reading.at,
            value=round(float(value), 4),
            level=reading.status,
        )

    def _event(self, reading: FloodReading, frame: Frame) -> Event:
        level = reading.current_level_cm
        return Event(
            kind=EventKind.FLOOD,
            camera_id=self.camera_id,
            rule_id=self.config.id,
            zone_id=self.config.id,
            occurred_at=frame.captured_at,
            frame_index=frame.index,
            track_id=-1,
            class_name="water",
            confidence=round(float(reading.covered_fraction), 4),
            payload=FloodPayload(
                level=reading.status,
                value=round(float(level if level is not None else reading.covered_fraction), 4),
                region=bounding_box_norm(self.config.roi),
            ),
            detected_monotonic_s=frame.received_monotonic_s,
        )
