"""The Tracker boundary and its factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cctwin.config import ByteTrackConfig, TrackerConfig
from cctwin.types import Detections


@dataclass(frozen=True, slots=True)
class EarlierBoxes:
    """Boxes a track had in an earlier frame, before its confirmation (for offline output)."""

    frame_time_s: float
    tracks: Detections


class Tracker(Protocol):
    """Assigns track ids to one camera's detections, frame after frame."""

    def update(self, detections: Detections, frame_time_s: float) -> Detections:
        """The confirmed tracks in this frame (track_id >= 0), in frame pixels."""
        ...

    def take_earlier(self) -> list[EarlierBoxes]:
        """Boxes of tracks confirmed since the last call, from the frames before that."""
        ...


def create_tracker(config: TrackerConfig, frame_rate: float) -> Tracker:
    """A fresh tracker for one camera analysed at about `frame_rate` frames per second."""
    if isinstance(config, ByteTrackConfig):
        from cctwin.track.bytetrack import ByteTracker

        return ByteTracker(config, frame_rate)
    raise TypeError(f"unknown tracker config {type(config).__name__}")
