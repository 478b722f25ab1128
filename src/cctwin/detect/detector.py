"""The Detector boundary and the one factory that picks a backend from config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, assert_never

from cctwin.config import DetectorConfig, NanoDetConfig, YoloConfig
from cctwin.types import Detections, Frame


class Detector(Protocol):
    """Finds objects in a batch of frames (frames may come from different cameras)."""

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        """One Detections per frame, boxes in that frame's pixels, COCO class ids."""
        ...


def create_detector(config: DetectorConfig) -> Detector:
    """Build the configured backend; heavy libraries load here, not at import."""
    match config:
        case NanoDetConfig():
            from cctwin.detect.nanodet import NanoDetDetector

            return NanoDetDetector(config)
        case YoloConfig():
            from cctwin.detect.yolo import YoloDetector

            return YoloDetector(config)
        case _:
            assert_never(config)
