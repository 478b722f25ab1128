"""Person boxes for counting: the bundled NanoDet run at two scales, duplicates suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from cctwin.config.detection import NanoDetConfig
from cctwin.detect.nanodet import NanoDetDetector
from cctwin.types import Frame

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class PersonBoxes:
    """Person boxes (xyxy, image pixels) and their confidences."""

    xyxy: FloatArray
    confidence: FloatArray

    def __len__(self) -> int:
        return len(self.xyxy)


@dataclass(frozen=True, slots=True)
class PersonCountSettings:
    """How the detector path counts; defaults were chosen on the first half of crowd-street.

    The overview pass (416x416, the pipeline's size) finds people close to the camera; the
    detail pass (long side `detail_long_side`, aspect kept) finds small people far away.
    A box mostly inside a better-scored box (`containment` of the smaller box's area) is the
    same person seen twice (a partial box, or the other pass) and is dropped.
    """

    confidence: float = 0.35
    overview_size: int = 416
    detail_long_side: int = 1280
    containment: float = 0.8


def _multiple_of_32(value: float) -> int:
    return max(32, round(value / 32.0) * 32)


def suppress_contained(
    xyxy: FloatArray, confidence: FloatArray, containment: float
) -> npt.NDArray[np.int64]:
    """Indices kept, best first, after dropping boxes mostly inside an already kept box."""
    order = np.argsort(-confidence, kind="stable")
    areas = np.clip(xyxy[:, 2] - xyxy[:, 0], 0, None) * np.clip(xyxy[:, 3] - xyxy[:, 1], 0, None)
    kept: list[int] = []
    for index in order:
        if kept:
            others = xyxy[kept]
            iw = np.clip(
                np.minimum(others[:, 2], xyxy[index, 2]) - np.maximum(others[:, 0], xyxy[index, 0]),
                0,
                None,
            )
            ih = np.clip(
                np.minimum(others[:, 3], xyxy[index, 3]) - np.maximum(others[:, 1], xyxy[index, 1]),
                0,
                None,
            )
            smaller = np.maximum(np.minimum(areas[kept], areas[index]), 1e-6)
            if float((iw * ih / smaller).max()) > containment:
                continue
        kept.append(int(index))
    return np.asarray(kept, dtype=np.int64)


class PersonCounter:
    """Finds people with NanoDet at an overview and a detail scale and merges the two passes."""

    def __init__(self, settings: PersonCountSettings | None = None, threads: int = 1) -> None:
        self.settings = settings or PersonCountSettings()
        self._threads = threads
        self._detectors: dict[tuple[int, int], NanoDetDetector] = {}

    def _detector(self, width: int, height: int) -> NanoDetDetector:
        # NanoDet's input is dynamic, but the decoder's cell grid is fixed per input size.
        key = (width, height)
        if key not in self._detectors:
            config = NanoDetConfig(
                input_width=width,
                input_height=height,
                classes=["person"],
                confidence=self.settings.confidence,
                threads=self._threads,
                batch_size=1,
            )
            self._detectors[key] = NanoDetDetector(config)
        return self._detectors[key]

    def input_sizes(self, width: int, height: int) -> list[tuple[int, int]]:
        """The (width, height) inputs the two passes use for an image of this size."""
        side = self.settings.overview_size
        sizes = [(side, side)]
        scale = self.settings.detail_long_side / max(width, height)
        detail = (_multiple_of_32(width * scale), _multiple_of_32(height * scale))
        if detail != sizes[0]:
            sizes.append(detail)
        return sizes

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> PersonBoxes:
        """Person boxes in image pixels, duplicates between and within passes removed."""
        height, width = image_bgr.shape[:2]
        frame = Frame(
            camera_id="crowd",
            index=1,
            captured_at=datetime.fromtimestamp(0, UTC),
            stream_time_s=0.0,
            image=image_bgr,
        )
        boxes: list[FloatArray] = []
        scores: list[FloatArray] = []
        for size in self.input_sizes(width, height):
            found = self._detector(*size).detect([frame])[0]
            boxes.append(found.xyxy)
            scores.append(found.confidence)
        xyxy = np.concatenate(boxes).astype(np.float32).reshape(-1, 4)
        confidence = np.concatenate(scores).astype(np.float32)
        kept = suppress_contained(xyxy, confidence, self.settings.containment)
        return PersonBoxes(xyxy[kept], confidence[kept])
