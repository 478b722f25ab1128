"""The bundled MoveNet MultiPose ONNX: decoding, its model card, and keypoints on real people."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from cctwin.analytics.fall.pose import NUM_KEYPOINTS, PoseEstimator, bundled_model, decode_people
from cctwin.analytics.fall.posture import Posture, PostureThresholds, pose_posture

PETS = Path(__file__).resolve().parents[4] / "shared" / "data" / "pets2009-s2l1"


@pytest.fixture(scope="module")
def estimator() -> PoseEstimator:
    return PoseEstimator(threads=1)


def test_decode_people_maps_normalised_yx_to_pixels() -> None:
    raw = np.zeros((6, 56), np.float32)
    raw[0, 0:3] = (0.25, 0.5, 0.9)  # nose: y, x, score
    raw[0, 51:56] = (0.1, 0.2, 0.9, 0.6, 0.7)  # ymin, xmin, ymax, xmax, score
    people = decode_people(raw, width=200, height=100)
    assert len(people) == 6
    keypoints, box, score = people[0]
    assert keypoints.shape == (NUM_KEYPOINTS, 3)
    np.testing.assert_allclose(keypoints[0], (100.0, 25.0, 0.9), rtol=1e-6)
    np.testing.assert_allclose(box, (40.0, 10.0, 120.0, 90.0), rtol=1e-6)
    assert score == pytest.approx(0.7)


def test_bundled_model_matches_its_card() -> None:
    card = bundled_model().with_suffix(".md").read_text(encoding="utf-8")
    digest = hashlib.sha256(bundled_model().read_bytes()).hexdigest()
    assert re.search(r"\b[0-9a-f]{64}\b", card) is not None
    assert digest in card


def test_empty_image_gives_no_confident_person(estimator: PoseEstimator) -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    poses = estimator.estimate(image, np.array([[100, 50, 150, 250]], np.float32))
    assert len(poses) == 1
    assert poses[0] is None or poses[0].score < 0.2


def _gt_boxes(frame: int) -> np.ndarray:
    rows = np.loadtxt(PETS / "gt_frames_0001-0400.txt", delimiter=",")
    rows = rows[rows[:, 0] == frame]
    x, y, w, h = rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]
    return np.stack([x, y, x + w, y + h], axis=1).astype(np.float32)


@pytest.mark.skipif(not (PETS / "video.avi").is_file(), reason="../shared/data PETS 2009 absent")
def test_keypoints_land_on_annotated_people(estimator: PoseEstimator) -> None:
    cv2 = pytest.importorskip("cv2")
    capture = cv2.VideoCapture(str(PETS / "video.avi"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 149)  # annotated frame 150 (1-based)
    ok, image = capture.read()
    capture.release()
    assert ok
    boxes = _gt_boxes(150)
    boxes = boxes[(boxes[:, 3] - boxes[:, 1]) >= 60]  # people big enough to have a pose
    assert len(boxes) >= 3
    poses = estimator.estimate(image, boxes)
    inside_fractions, postures = [], []
    for box, pose in zip(boxes, poses, strict=True):
        if pose is None:
            continue
        confident = pose.keypoints[pose.keypoints[:, 2] >= 0.3]
        margin = 0.2 * (box[3] - box[1])
        inside = (
            (confident[:, 0] >= box[0] - margin)
            & (confident[:, 0] <= box[2] + margin)
            & (confident[:, 1] >= box[1] - margin)
            & (confident[:, 1] <= box[3] + margin)
        )
        inside_fractions.append(float(inside.mean()) if len(confident) else 0.0)
        postures.append(pose_posture(pose, PostureThresholds()))
    assert len(inside_fractions) >= 0.7 * len(boxes)
    assert np.mean(inside_fractions) >= 0.9
    assert Posture.DOWN not in postures  # everyone here is walking or standing
    assert postures.count(Posture.UPRIGHT) >= 0.7 * len(postures)
