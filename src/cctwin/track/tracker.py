"""The Tracker boundary and its factory."""

from __future__ import annotations

from typing import Protocol

from cctwin.config import ByteTrackConfig, TrackerConfig
from cctwin.types import Detections


class Tracker(Protocol):
    """Assigns track ids to one camera's detections, frame after frame."""

    def update(self, detections: Detections, frame_time_s: float) -> Detections:
        """The confirmed tracks in this frame (track_id >= 0), in frame pixels."""
        ...


def create_tracker(config: TrackerConfig, frame_rate: float) -> Tracker:
    """A fresh tracker for one camera analysed at about `frame_rate` frames per second."""
    if isinstance(config, ByteTrackConfig):
        from cctwin.track.bytetrack import ByteTracker

        return ByteTracker(config, frame_rate)
    raise TypeError(f"unknown tracker config {type(config).__name__}")
