"""The bundled NanoDet-g: no false alarms on a blank frame, batching, input sizes, a real frame."""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from cctwin.config import NanoDetConfig
from cctwin.detect.labels import COCO_LABELS, PERSON
from cctwin.detect.nanodet import NanoDetDetector, bundled_model
from cctwin.geometry import box_iou
from cctwin.types import Detections, Frame

FrameFactory = Callable[..., Frame]

REPO = Path(__file__).resolve().parents[3]
PETS = REPO.parent / "shared" / "data" / "pets2009-s2l1"
PETS_FRAME = 200  # 1-based, as in the MOT ground truth


def synthetic_frame(seed: int, width: int, height: int) -> Frame:
    """Blurred noise with a few solid rectangles: enough texture to give low-score boxes."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    image = np.ascontiguousarray(cv2.GaussianBlur(image, (0, 0), 3))
    for _ in range(6):
        x, y = int(rng.integers(0, width - 80)), int(rng.integers(0, height - 100))
        w, h = int(rng.integers(20, 80)), int(rng.integers(40, 100))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
    return Frame("cam", seed, datetime(2024, 1, 1, tzinfo=UTC), 0.0, image)


def assert_inside(dets: Detections, frame: Frame) -> None:
    assert (dets.xyxy[:, 0] >= 0).all()
    assert (dets.xyxy[:, 1] >= 0).all()
    assert (dets.xyxy[:, 2] <= frame.width).all()
    assert (dets.xyxy[:, 3] <= frame.height).all()
    assert (dets.xyxy[:, 2] >= dets.xyxy[:, 0]).all()
    assert (dets.xyxy[:, 3] >= dets.xyxy[:, 1]).all()


@pytest.fixture(scope="module")
def low_threshold_detector() -> NanoDetDetector:
    """Every COCO class at confidence 0.05, so synthetic frames give something to compare."""
    return NanoDetDetector(NanoDetConfig(confidence=0.05, classes=list(COCO_LABELS)))


def test_bundled_model_ships_with_the_package() -> None:
    assert bundled_model().is_file()
    assert bundled_model("int8").is_file()


def test_int8_copy_matches_its_card_and_auto_picks_it_on_a_cpu() -> None:
    card = (bundled_model().parent / "nanodet-g-416.md").read_text(encoding="utf-8")
    assert hashlib.sha256(bundled_model("int8").read_bytes()).hexdigest() in card
    assert NanoDetConfig().bundled_precision == "float32"
    assert NanoDetConfig(precision="auto").bundled_precision == "int8"
    assert NanoDetConfig(precision="auto", provider="cuda").bundled_precision == "float32"
    assert NanoDetDetector(NanoDetConfig(precision="int8")).model_path == bundled_model("int8")


def test_blank_grey_frame_gives_no_detections(make_frame: FrameFactory) -> None:
    # Every COCO class, so this is stricter than the default class list.
    detector = NanoDetDetector(NanoDetConfig(confidence=0.35, classes=list(COCO_LABELS)))
    [dets] = detector.detect([make_frame(640, 480, value=128)])
    assert len(dets) == 0
    assert dets.xyxy.shape == (0, 4)


def test_empty_frame_list_gives_empty_result(low_threshold_detector: NanoDetDetector) -> None:
    assert low_threshold_detector.detect([]) == []


def test_batch_matches_frame_by_frame(low_threshold_detector: NanoDetDetector) -> None:
    first = synthetic_frame(1, 640, 480)
    second = synthetic_frame(2, 1280, 720)  # a different size: each frame is resized alone
    batched = low_threshold_detector.detect([first, second])
    single = [low_threshold_detector.detect([f])[0] for f in (first, second)]
    assert len(batched) == 2
    for together, alone, frame in zip(batched, single, (first, second), strict=True):
        assert len(alone) > 0, "synthetic frame gave no boxes: the comparison would be empty"
        assert len(together) == len(alone)
        order_t = np.lexsort((together.xyxy[:, 0], -together.confidence))
        order_a = np.lexsort((alone.xyxy[:, 0], -alone.confidence))
        np.testing.assert_allclose(together.xyxy[order_t], alone.xyxy[order_a], atol=1e-3)
        np.testing.assert_allclose(
            together.confidence[order_t], alone.confidence[order_a], atol=1e-4
        )
        assert together.class_id[order_t].tolist() == alone.class_id[order_a].tolist()
        assert_inside(together, frame)


def test_batch_larger_than_batch_size_is_split() -> None:
    detector = NanoDetDetector(
        NanoDetConfig(confidence=0.05, classes=list(COCO_LABELS), batch_size=2)
    )
    frames = [synthetic_frame(seed, 320, 240) for seed in range(5)]
    results = detector.detect(frames)
    assert len(results) == 5
    expected = detector.detect([frames[4]])[0]
    np.testing.assert_allclose(
        np.sort(results[4].confidence), np.sort(expected.confidence), atol=1e-4
    )


@pytest.mark.parametrize(("width", "height"), [(416, 416), (768, 576), (416, 256)])
def test_dynamic_input_sizes_run(width: int, height: int) -> None:
    detector = NanoDetDetector(
        NanoDetConfig(
            input_width=width, input_height=height, confidence=0.05, classes=list(COCO_LABELS)
        )
    )
    frame = synthetic_frame(3, 800, 450)
    [dets] = detector.detect([frame])
    assert len(dets) > 0
    assert_inside(dets, frame)
    assert set(dets.class_id.tolist()) <= set(range(len(COCO_LABELS)))
    assert (dets.confidence >= 0.05).all()
    assert (dets.confidence <= 1.0).all()


# --- a real frame with ground truth ------------------------------------------------------------


def pets_frame() -> np.ndarray:
    av = pytest.importorskip("av")
    container = av.open(str(PETS / "video.avi"))
    try:
        for index, frame in enumerate(container.decode(video=0)):
            if index == PETS_FRAME - 1:
                image: np.ndarray = frame.to_ndarray(format="bgr24")
                return image
    finally:
        container.close()
    pytest.fail(f"video.avi has fewer than {PETS_FRAME} frames")


def pets_ground_truth() -> np.ndarray:
    """xyxy boxes of the people in frame 200 (MOT rows: frame, id, x, y, w, h, ...)."""
    rows = np.loadtxt(PETS / "gt_frames_0001-0400.txt", delimiter=",", ndmin=2)
    rows = rows[rows[:, 0] == PETS_FRAME]
    boxes: np.ndarray = rows[:, 2:6].astype(np.float32)
    boxes[:, 2:] += boxes[:, :2]
    return boxes


@pytest.mark.skipif(
    not (PETS / "video.avi").is_file() or not (PETS / "gt_frames_0001-0400.txt").is_file(),
    reason=f"PETS2009 S2L1 clip not found at {PETS} (video.avi + gt_frames_0001-0400.txt)",
)
@pytest.mark.parametrize(
    ("frame_width", "frame_height"),
    [(768, 576), (1024, 432)],  # native, and stretched unevenly: boxes must scale back per axis
)
@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_finds_the_people_in_pets2009_frame_200(
    frame_width: int, frame_height: int, precision: str
) -> None:
    image = pets_frame()
    assert image.shape == (576, 768, 3)
    truth = pets_ground_truth()
    assert len(truth) == 7
    if (frame_width, frame_height) != (768, 576):
        image = np.ascontiguousarray(cv2.resize(image, (frame_width, frame_height)))
        truth = truth * np.array([frame_width / 768, frame_height / 576] * 2, dtype=np.float32)
    detector = NanoDetDetector(
        NanoDetConfig(
            input_width=768,
            input_height=576,
            classes=["person"],
            confidence=0.35,
            precision=precision,  # type: ignore[arg-type]
        )
    )
    frame = Frame("pets", PETS_FRAME, datetime(2009, 1, 1, tzinfo=UTC), 0.0, image)
    [dets] = detector.detect([frame])
    assert set(dets.class_id.tolist()) <= {PERSON}
    assert_inside(dets, frame)

    iou = box_iou(truth, dets.xyxy)
    rows, cols = linear_sum_assignment(-iou)
    matched = int((iou[rows, cols] >= 0.5).sum())
    unmatched_detections = len(dets) - matched
    assert matched >= 6, f"only {matched}/7 people matched; IoUs {iou[rows, cols].round(2)}"
    assert unmatched_detections <= 4, f"{unmatched_detections} person boxes match nobody"
