"""Person boxes for counting: the bundled NanoDet at three scales, each owning a size range."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from cctwin.config.detection import NanoDetConfig, Precision
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
class ScalePass:
    """One NanoDet pass: its input size, the confidence it needs and the people it owns.

    `long_side` is the input's long side (aspect kept, multiples of 32), or with `square` the
    side of a stretched square input (the live pipeline's 416x416). A pass keeps only boxes at
    most `max_height` of the image height tall; taller people are left to coarser passes.
    """

    long_side: int
    confidence: float
    max_height: float = 1.0
    square: bool = False


def _default_passes() -> tuple[ScalePass, ...]:
    return (
        ScalePass(416, confidence=0.30, square=True),
        ScalePass(832, confidence=0.40),
        ScalePass(1280, confidence=0.40, max_height=0.104),
    )


@dataclass(frozen=True, slots=True)
class PersonCountSettings:
    """How the detector path counts; chosen on the development half of crowd-street.

    NanoDet's box regression reaches about 450 input pixels, so a pass whose input is much
    larger than the image splits close people into upper- and lower-body boxes. Hence three
    passes: the 416x416 overview sees close people whole; the middle pass (long side 832, where
    only people taller than ~70% of the frame outgrow the regression) finds most people; the
    detail pass (long side 1280) adds only small, distant people (at most 10.4% of the image
    height, i.e. 100 of its 960 input rows for a 4:3 image). A box more than `containment` of
    its area inside a better-scored box is the same person seen twice and is dropped.

    Chosen by box-level errors (unmatched boxes plus missed heads, 73 vs 112 for the earlier
    416 + 1280 pair at 0.35) rather than by count error alone, which on 15 images rewards
    duplicates that happen to cancel missed people; see models/csrnet.md.
    """

    passes: tuple[ScalePass, ...] = field(default_factory=_default_passes)
    containment: float = 0.9


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


def pass_input_size(scale: ScalePass, width: int, height: int) -> tuple[int, int]:
    """The (width, height) NanoDet input of one pass for an image of this size."""
    if scale.square:
        side = _multiple_of_32(scale.long_side)
        return side, side
    factor = scale.long_side / max(width, height)
    return _multiple_of_32(width * factor), _multiple_of_32(height * factor)


def owned_by_pass(xyxy: FloatArray, scale: ScalePass, image_height: int) -> npt.NDArray[np.bool_]:
    """Which boxes fall in the size range the pass is trusted for."""
    heights = xyxy[:, 3] - xyxy[:, 1]
    owned: npt.NDArray[np.bool_] = heights <= scale.max_height * image_height
    return owned


class PersonCounter:
    """Finds people with NanoDet at several scales and merges the passes."""

    def __init__(
        self,
        settings: PersonCountSettings | None = None,
        threads: int = 1,
        precision: Precision = "float32",
    ) -> None:
        self.settings = settings or PersonCountSettings()
        self._threads = threads
        # The passes' thresholds and size ranges were chosen on the float32 model.
        self._precision: Precision = precision
        self._detectors: dict[tuple[int, int, float], NanoDetDetector] = {}

    def _detector(self, width: int, height: int, confidence: float) -> NanoDetDetector:
        # NanoDet's input is dynamic, but the decoder's cell grid is fixed per input size.
        key = (width, height, confidence)
        if key not in self._detectors:
            config = NanoDetConfig(
                input_width=width,
                input_height=height,
                classes=["person"],
                confidence=confidence,
                threads=self._threads,
                batch_size=1,
                precision=self._precision,
                # Counting never tracks: appearance vectors would cost 7-12 ms per 300 boxes.
                appearance=False,
            )
            self._detectors[key] = NanoDetDetector(config)
        return self._detectors[key]

    def input_sizes(self, width: int, height: int) -> list[tuple[int, int]]:
        """The (width, height) input of each pass, in pass order, for an image of this size."""
        return [pass_input_size(p, width, height) for p in self.settings.passes]

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
        for scale in self.settings.passes:
            size = pass_input_size(scale, width, height)
            found = self._detector(*size, scale.confidence).detect([frame])[0]
            owned = owned_by_pass(found.xyxy, scale, height)
            boxes.append(found.xyxy[owned])
            scores.append(found.confidence[owned])
        xyxy = np.concatenate(boxes).astype(np.float32).reshape(-1, 4)
        confidence = np.concatenate(scores).astype(np.float32)
        kept = suppress_contained(xyxy, confidence, self.settings.containment)
        return PersonBoxes(xyxy[kept], confidence[kept])
