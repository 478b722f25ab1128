"""MoveNet MultiPose Lightning (bundled ONNX) run on square crops around person boxes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.geometry import box_iou

FloatArray = npt.NDArray[np.float32]

KEYPOINT_NAMES = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
_VALUES_PER_PERSON = NUM_KEYPOINTS * 3 + 5


def bundled_model() -> Path:
    """The ONNX file built by tools/convert_movenet.py and shipped with the package."""
    return Path(__file__).with_name("models") / "movenet-multipose-lightning.onnx"


@dataclass(frozen=True, slots=True, eq=False)
class Pose:
    """One person's 17 COCO keypoints in image pixels: rows of (x, y, score)."""

    keypoints: FloatArray
    score: float


class PoseModel(Protocol):
    """Finds the pose of the person inside each given box (None where it cannot)."""

    def estimate(
        self, image_bgr: npt.NDArray[np.uint8], boxes_xyxy: FloatArray
    ) -> list[Pose | None]: ...


def decode_people(
    raw: FloatArray, width: int, height: int
) -> list[tuple[FloatArray, FloatArray, float]]:
    """Split MultiPose's [6, 56] output into (keypoints xy-score, box xyxy, score) in pixels.

    Each row is 17 x (y, x, score) normalised to the input, then ymin, xmin, ymax, xmax,
    score; unused rows have a near-zero score and are kept for the caller to filter.
    """
    people = []
    for row in raw.reshape(-1, _VALUES_PER_PERSON):
        kps = row[: NUM_KEYPOINTS * 3].reshape(NUM_KEYPOINTS, 3)
        keypoints = np.stack([kps[:, 1] * width, kps[:, 0] * height, kps[:, 2]], axis=1)
        ymin, xmin, ymax, xmax, score = row[NUM_KEYPOINTS * 3 :]
        box = np.array([xmin * width, ymin * height, xmax * width, ymax * height], np.float32)
        people.append((keypoints.astype(np.float32), box, float(score)))
    return people


class PoseEstimator:
    """MoveNet MultiPose on one square crop per person box, on a single CPU thread.

    A whole CCTV frame squeezed to 256 px leaves distant people a dozen pixels tall, too
    small for keypoints; a crop 1.3x the box's long side, scaled to 256, gives every
    person the resolution the model was trained at. Of the people found in a crop, the
    one whose box overlaps the requested box most is returned.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        threads: int = 1,
        input_size: int = 256,
        crop_margin: float = 1.3,
        min_person_score: float = 0.1,
    ) -> None:
        import onnxruntime as ort

        if input_size % 32:
            raise ValueError("MoveNet needs an input size that is a multiple of 32")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path or bundled_model()), options, providers=["CPUExecutionProvider"]
        )
        self._input_name = self._session.get_inputs()[0].name
        self.input_size = input_size
        self.crop_margin = crop_margin
        self.min_person_score = min_person_score
        self.calls = 0

    def run(self, rgb: npt.NDArray[np.uint8]) -> FloatArray:
        """Raw [6, 56] output for one RGB image whose sides are multiples of 32."""
        self.calls += 1
        feed = {self._input_name: rgb[None].astype(np.int32)}
        out: FloatArray = self._session.run(None, feed)[0][0]
        return out

    def estimate(
        self, image_bgr: npt.NDArray[np.uint8], boxes_xyxy: FloatArray
    ) -> list[Pose | None]:
        return [self._estimate_one(image_bgr, box) for box in np.asarray(boxes_xyxy, np.float32)]

    def _estimate_one(self, image_bgr: npt.NDArray[np.uint8], box: FloatArray) -> Pose | None:
        side = max(float(box[2] - box[0]), float(box[3] - box[1]), 1.0) * self.crop_margin
        scale = self.input_size / side
        left = float(box[0] + box[2]) / 2 - side / 2
        top = float(box[1] + box[3]) / 2 - side / 2
        # One affine warp crops, scales and zero-pads past the frame edge in a single pass.
        warp = np.array([[scale, 0, -left * scale], [0, scale, -top * scale]], np.float64)
        size = (self.input_size, self.input_size)
        crop = np.asarray(cv2.warpAffine(image_bgr, warp, size, flags=cv2.INTER_LINEAR), np.uint8)
        people = decode_people(self.run(crop[:, :, ::-1]), self.input_size, self.input_size)
        origin = np.array([left, top, left, top], np.float32)
        target = (box - origin) * scale
        best: tuple[float, FloatArray, float] | None = None
        for keypoints, person_box, score in people:
            if score < self.min_person_score:
                continue
            overlap = float(box_iou(person_box[None], target[None])[0, 0])
            if overlap > 0.1 and (best is None or overlap > best[0]):
                best = (overlap, keypoints, score)
        if best is None:
            return None
        keypoints = best[1].copy()
        keypoints[:, 0] = keypoints[:, 0] / scale + left
        keypoints[:, 1] = keypoints[:, 1] / scale + top
        return Pose(keypoints=keypoints, score=best[2])
