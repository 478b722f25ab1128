"""Motion gating: run the detector only on frames where something moved (as Frigate does)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.config.camera import MotionConfig
from cctwin.types import Detections, Frame

GreyImage = npt.NDArray[np.uint8]
BatchDetector = Callable[[Sequence[Frame]], Sequence[Detections]]


def small_grey(image_bgr: npt.NDArray[np.uint8], width: int) -> GreyImage:
    """The frame at `width` pixels wide in grey levels.

    Area averaging first: it is the cheap part at this size, and averaging about 16 pixels
    into one divides sensor and compression noise by about 4, so a fixed threshold separates
    noise from real change without a blur.
    """
    height, source_width = image_bgr.shape[:2]
    if width < source_width:
        size = (width, max(1, round(height * width / source_width)))
        image_bgr = np.asarray(cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA))
    return np.asarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def changed_pixels(current: GreyImage, reference: GreyImage, threshold: int) -> int:
    """How many pixels differ by more than `threshold` grey levels."""
    return int(np.count_nonzero(cv2.absdiff(current, reference) > threshold))


class MotionGate:
    """Decides, for one camera, whether a frame needs the detector.

    Each frame is compared with the frame the detector last saw (not with the previous
    frame), so slow changes add up until they count. On a still frame the detector's last
    boxes are handed to the tracker again: what stood still is still there, and its tracks
    stay alive (loitering and dwell times keep counting). At least every `max_still_s` of
    stream time the detector runs anyway.
    """

    def __init__(self, config: MotionConfig) -> None:
        self.config = config
        self._reference: GreyImage | None = None
        self._detected_at_s = 0.0
        self._held = Detections.empty()
        self.frames = 0
        self.skipped = 0

    def moved(self, frame: Frame) -> bool:
        """True: run the detector on this frame (then pass its result to `hold`)."""
        self.frames += 1
        if not self.config.enabled:
            return True
        current = small_grey(frame.image, self.config.width)
        if self._still(current, frame.stream_time_s):
            self.skipped += 1
            return False
        self._reference = current
        self._detected_at_s = frame.stream_time_s
        return True

    def _still(self, current: GreyImage, time_s: float) -> bool:
        reference = self._reference
        if reference is None or reference.shape != current.shape:
            return False  # the first frame, or a new image size: nothing to compare with
        # Overdue, or the stream went back in time (a new source): not a still scene.
        if not 0 <= time_s - self._detected_at_s < self.config.max_still_s:
            return False
        return changed_pixels(current, reference, self.config.threshold) < (
            self.config.min_changed_px
        )

    def hold(self, detections: Detections) -> None:
        """Remember what the detector found on a moved frame, for the still frames after it."""
        self._held = detections

    @property
    def held(self) -> Detections:
        """The boxes to track on a still frame: those of the last detected frame."""
        return self._held


class MotionGates:
    """One MotionGate per camera, and batched detection on only the frames that moved."""

    def __init__(self, configs: Mapping[str, MotionConfig]) -> None:
        self.gates = {camera: MotionGate(config) for camera, config in configs.items()}

    def add(self, camera_id: str, config: MotionConfig) -> None:
        """A camera that joined (or was reconfigured): it starts without a reference."""
        self.gates[camera_id] = MotionGate(config)

    def remove(self, camera_id: str) -> None:
        self.gates.pop(camera_id, None)

    def detect(self, batch: Sequence[Frame], detect: BatchDetector) -> list[Detections]:
        """Detections for every frame of `batch`, in order; `detect` sees only moved frames."""
        gates = [self.gates[frame.camera_id] for frame in batch]
        moved = [gate.moved(frame) for gate, frame in zip(gates, batch, strict=True)]
        fresh = iter(
            detect([f for f, m in zip(batch, moved, strict=True) if m]) if any(moved) else []
        )
        results: list[Detections] = []
        for gate, was_moved in zip(gates, moved, strict=True):
            if was_moved:
                found = next(fresh)
                gate.hold(found)
                results.append(found)
            else:
                results.append(gate.held)
        return results

    def skipped_share(self) -> float:
        """Share of all frames so far on which the detector did not run."""
        frames = sum(g.frames for g in self.gates.values())
        return sum(g.skipped for g in self.gates.values()) / frames if frames else 0.0
