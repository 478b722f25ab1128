"""A stand-in detector for synthetic clips: solid, saturated rectangles are "people".

No real detector recognises the flat coloured rectangles of `write_synthetic_clip` as
people, so integration tests that need exact, known detections plug this one into the
pipeline instead. It is only correct for those clips: their background is a desaturated,
fairly dark texture (HSV value <= ~170), while the boxes are pure, bright colours.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from cctwin.types import Detections, Frame

PERSON = 0  # COCO class id of 'person'
CONFIDENCE = 0.9


class ColourBoxDetector:
    """Implements the `cctwin.detect.detector.Detector` protocol for synthetic clips.

    A test stand-in, not a real detector: every connected region of saturated
    (S > `min_saturation`), bright (V > `min_value`) pixels larger than `min_area_px`
    becomes one 'person' box with confidence 0.9, in the frame's (analysis) pixels.
    """

    def __init__(
        self, min_saturation: int = 150, min_value: int = 190, min_area_px: int = 100
    ) -> None:
        self.min_saturation = min_saturation
        self.min_value = min_value
        self.min_area_px = min_area_px
        self.calls = 0

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        self.calls += 1
        return [self.detect_image(frame.image) for frame in frames]

    def detect_image(self, image_bgr: np.ndarray) -> Detections:
        hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
        lower = np.array([0, self.min_saturation + 1, self.min_value + 1], np.uint8)
        upper = np.array([179, 255, 255], np.uint8)
        mask = cv2.inRange(hsv, lower, upper)
        # H.264's 4:2:0 chroma smears box edges; an opening drops isolated stray pixels.
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes = [
            (float(x), float(y), float(x + w), float(y + h))
            for x, y, w, h, area in stats[1:count].tolist()  # row 0 is the background
            if area >= self.min_area_px
        ]
        boxes.sort()  # deterministic order, left to right
        n = len(boxes)
        return Detections(
            xyxy=np.asarray(boxes, np.float32).reshape(n, 4),
            confidence=np.full(n, CONFIDENCE, np.float32),
            class_id=np.full(n, PERSON, np.int32),
        )
