"""Generated keypoints of a standing, lying and bending person inside a box, and a scripted pose model."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cctwin.analytics.fall.pose import FloatArray, Pose

# Fractions of a standing person's height (y) and width offset (x) per COCO keypoint:
# nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles.
_STANDING = np.array(
    [
        (0.00, 0.05), (-0.05, 0.03), (0.05, 0.03), (-0.10, 0.05), (0.10, 0.05),
        (-0.20, 0.18), (0.20, 0.18), (-0.25, 0.35), (0.25, 0.35), (-0.25, 0.50),
        (0.25, 0.50), (-0.12, 0.52), (0.12, 0.52), (-0.12, 0.75), (0.12, 0.75),
        (-0.12, 0.97), (0.12, 0.97),
    ],
    np.float32,
)  # fmt: skip


def standing(box: FloatArray, score: float = 0.8) -> Pose:
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, h = (x1 + x2) / 2, y2 - y1
    kp = np.stack(
        [cx + _STANDING[:, 0] * (x2 - x1), y1 + _STANDING[:, 1] * h, np.full(17, score)], axis=1
    )
    return Pose(keypoints=kp.astype(np.float32), score=score)


def lying(box: FloatArray, score: float = 0.8) -> Pose:
    """The standing pose turned 90 degrees: head on the left, feet on the right."""
    x1, y1, x2, y2 = (float(v) for v in box)
    cy, length = (y1 + y2) / 2, x2 - x1
    kp = np.stack(
        [x1 + _STANDING[:, 1] * length, cy + _STANDING[:, 0] * (y2 - y1), np.full(17, score)],
        axis=1,
    )
    return Pose(keypoints=kp.astype(np.float32), score=score)


def bending(box: FloatArray, score: float = 0.8) -> Pose:
    """Torso horizontal (picking something up) while hips, knees and ankles stay stacked."""
    x1, y1, x2, y2 = (float(v) for v in box)
    h, w = y2 - y1, x2 - x1
    kp = np.zeros((17, 3), np.float32)
    hip = (x2 - 0.2 * w, y1 + 0.3 * h)
    head = (x1 + 0.05 * w, y1 + 0.35 * h)
    for i in range(5):  # face
        kp[i] = (head[0], head[1], score)
    kp[5] = kp[6] = (x1 + 0.3 * w, y1 + 0.28 * h, score)  # shoulders
    kp[7] = kp[8] = kp[9] = kp[10] = (x1 + 0.3 * w, y1 + 0.6 * h, score)  # arms hang
    kp[11] = kp[12] = (hip[0], hip[1], score)
    kp[13] = kp[14] = (hip[0], y1 + 0.65 * h, score)
    kp[15] = kp[16] = (hip[0], y2, score)
    return Pose(keypoints=kp, score=score)


class ScriptedPose:
    """A PoseModel that draws the pose named by `mode` inside each requested box."""

    def __init__(self, mode: str = "standing") -> None:
        self.mode = mode
        self.calls = 0
        self.crops = 0

    def estimate(
        self, image_bgr: npt.NDArray[np.uint8], boxes_xyxy: FloatArray
    ) -> list[Pose | None]:
        self.calls += 1
        self.crops += len(boxes_xyxy)
        makers = {"standing": standing, "lying": lying, "bending": bending}
        if self.mode == "none":
            return [None] * len(boxes_xyxy)
        return [makers[self.mode](box) for box in boxes_xyxy]
