"""YoloDetector on tiny constant-output ONNX models: decoding, letterbox mapping, filters, NMS."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cctwin.config import YoloConfig
from cctwin.detect.onnx import nms
from cctwin.detect.yolo import YoloDetector
from cctwin.errors import ModelError
from cctwin.types import Detections, Frame

ModelFactory = Callable[..., Path]
FrameFactory = Callable[..., Frame]

PERSON, BICYCLE, CAR, DOG = 0, 1, 2, 16  # COCO ids
N_CLASSES = 80

# A 1280x720 frame letterboxed into 640x640: scale 0.5, 140 px of grey above and below.
FRAME_W, FRAME_H = 1280, 720
SCALE, PAD_TOP = 0.5, 140.0

PERSON_BOX = (400.0, 200.0, 500.0, 500.0)  # frame pixels, xyxy
CAR_BOX = (800.0, 400.0, 1100.0, 600.0)

Anchor = tuple[tuple[float, float, float, float], int, float]


def to_input(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Frame xyxy -> cx, cy, w, h in the 640x640 letterboxed model input."""
    x1, y1, x2, y2 = box
    lx1, ly1 = x1 * SCALE, y1 * SCALE + PAD_TOP
    lx2, ly2 = x2 * SCALE, y2 * SCALE + PAD_TOP
    return ((lx1 + lx2) / 2, (ly1 + ly2) / 2, lx2 - lx1, ly2 - ly1)


def filler_anchors(count: int, n_classes: int) -> list[Anchor]:
    rng = np.random.default_rng(0)
    return [
        ((*rng.uniform(100, 500, 2), *rng.uniform(10, 80, 2)), int(rng.integers(n_classes)), 1e-3)
        for _ in range(count)
    ]


def v8_output(anchors: list[Anchor], n_classes: int = N_CLASSES) -> np.ndarray:
    """[4 + C, N]: rows cx, cy, w, h then one score row per class."""
    anchors = anchors + filler_anchors(5, n_classes)
    out = np.full((4 + n_classes, len(anchors)), 1e-4, np.float32)
    for j, (cxcywh, cls, score) in enumerate(anchors):
        out[:4, j] = cxcywh
        out[4 + cls, j] = score
    return out


def v5_output(
    anchors: list[tuple[tuple[float, float, float, float], int, float, float]],
) -> np.ndarray:
    """[N, 5 + C]: cx, cy, w, h, objectness, class scores."""
    out = np.full((len(anchors) + 3, 5 + N_CLASSES), 1e-4, np.float32)
    out[len(anchors) :, :4] = (320, 320, 30, 30)
    for i, (cxcywh, cls, objectness, score) in enumerate(anchors):
        out[i, :4] = cxcywh
        out[i, 4] = objectness
        out[i, 5 + cls] = score
    return out


def person_and_car() -> np.ndarray:
    return v8_output([(to_input(PERSON_BOX), PERSON, 0.9), (to_input(CAR_BOX), CAR, 0.5)])


def detect_one(model: Path, frame: Frame, **config: object) -> Detections:
    detector = YoloDetector(YoloConfig(model=model, **config))
    results = detector.detect([frame])
    assert len(results) == 1
    return results[0]


def by_confidence(dets: Detections) -> Detections:
    return dets[np.argsort(-dets.confidence)]


@pytest.mark.parametrize("layout", ["v8", "v11"])
def test_v8_layout_maps_boxes_back_to_frame_pixels(
    layout: str, constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    dets = by_confidence(
        detect_one(constant_model(person_and_car()), make_frame(FRAME_W, FRAME_H), layout=layout)
    )
    assert len(dets) == 2
    np.testing.assert_allclose(dets.xyxy[0], PERSON_BOX, atol=1.0)
    np.testing.assert_allclose(dets.xyxy[1], CAR_BOX, atol=1.0)
    assert dets.class_id.tolist() == [PERSON, CAR]
    np.testing.assert_allclose(dets.confidence, [0.9, 0.5], atol=1e-6)
    assert dets.xyxy.dtype == np.float32
    assert dets.confidence.dtype == np.float32
    assert dets.track_id.tolist() == [-1, -1]


def test_v5_layout_multiplies_objectness_by_class_score(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    output = v5_output(
        [
            (to_input(PERSON_BOX), PERSON, 0.95, 0.9),
            (to_input(CAR_BOX), CAR, 0.8, 0.5),
            # High class score but low objectness: 0.1 * 0.9 = 0.09 < 0.25, dropped.
            (to_input((100, 100, 200, 200)), CAR, 0.1, 0.9),
        ]
    )
    dets = by_confidence(
        detect_one(constant_model(output), make_frame(FRAME_W, FRAME_H), layout="v5")
    )
    assert dets.class_id.tolist() == [PERSON, CAR]
    np.testing.assert_allclose(dets.confidence, [0.95 * 0.9, 0.8 * 0.5], atol=1e-6)
    np.testing.assert_allclose(dets.xyxy[0], PERSON_BOX, atol=1.0)
    np.testing.assert_allclose(dets.xyxy[1], CAR_BOX, atol=1.0)


def test_each_frame_in_a_batch_uses_its_own_letterbox(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    """640x480 is not scaled (ratio 1) but padded 80 px top and bottom."""
    detector = YoloDetector(YoloConfig(model=constant_model(person_and_car())))
    wide, small = detector.detect([make_frame(FRAME_W, FRAME_H), make_frame(640, 480)])
    np.testing.assert_allclose(by_confidence(wide).xyxy[0], PERSON_BOX, atol=1.0)
    lx, ly, lw, lh = to_input(PERSON_BOX)
    expected = (lx - lw / 2, ly - lh / 2 - 80, lx + lw / 2, ly + lh / 2 - 80)
    np.testing.assert_allclose(by_confidence(small).xyxy[0], expected, atol=1.0)


def test_fixed_batch_model_is_fed_in_chunks(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    detector = YoloDetector(YoloConfig(model=constant_model(person_and_car(), batch=1)))
    assert detector.batch_limit == 1
    results = detector.detect([make_frame(FRAME_W, FRAME_H, index=i) for i in range(3)])
    assert [len(r) for r in results] == [2, 2, 2]


def test_batch_size_splits_batches(constant_model: ModelFactory, make_frame: FrameFactory) -> None:
    detector = YoloDetector(YoloConfig(model=constant_model(person_and_car()), batch_size=2))
    results = detector.detect([make_frame(FRAME_W, FRAME_H, index=i) for i in range(5)])
    assert [len(r) for r in results] == [2] * 5


def test_empty_frame_list_gives_empty_result(constant_model: ModelFactory) -> None:
    detector = YoloDetector(YoloConfig(model=constant_model(person_and_car())))
    assert detector.detect([]) == []


def test_boxes_are_clipped_to_the_frame(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    # Straddles the top edge of the image (input y 140): half of it lies in the grey band.
    output = v8_output([((320.0, 140.0, 100.0, 100.0), PERSON, 0.9)])
    dets = detect_one(constant_model(output), make_frame(FRAME_W, FRAME_H))
    np.testing.assert_allclose(dets.xyxy, [[540, 0, 740, 100]], atol=1.0)


@pytest.mark.parametrize(
    ("config", "expected_classes"),
    [
        ({}, [PERSON, CAR]),
        ({"confidence": 0.6}, [PERSON]),
        ({"class_confidence": {"car": 0.6}}, [PERSON]),
        ({"class_confidence": {"person": 0.95}}, [CAR]),
        ({"confidence": 0.95, "class_confidence": {"car": 0.4}}, [CAR]),
        ({"classes": ["car"]}, [CAR]),
        ({"classes": ["person"]}, [PERSON]),
        ({"classes": ["bus", "truck"]}, []),
    ],
)
def test_confidence_thresholds_and_class_filter(
    config: dict[str, object],
    expected_classes: list[int],
    constant_model: ModelFactory,
    make_frame: FrameFactory,
) -> None:
    dets = by_confidence(
        detect_one(constant_model(person_and_car()), make_frame(FRAME_W, FRAME_H), **config)
    )
    assert dets.class_id.tolist() == expected_classes


def test_each_anchor_reports_only_its_best_class(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    """Documents current behaviour: each anchor reports only its best class (argmax)."""
    output = v8_output([(to_input(PERSON_BOX), DOG, 0.9)])
    output[4 + PERSON, 0] = 0.6  # same anchor, second-best class
    dets = detect_one(constant_model(output), make_frame(FRAME_W, FRAME_H), classes=["person"])
    # The anchor's best class (dog) is not kept, so the anchor yields nothing.
    assert len(dets) == 0


def test_nms_removes_same_class_duplicate_but_keeps_other_class(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    cx, cy, w, h = to_input(PERSON_BOX)
    output = v8_output(
        [
            ((cx, cy, w, h), PERSON, 0.9),
            ((cx + 3, cy + 3, w, h), PERSON, 0.8),  # IoU ~0.86 with the first: suppressed
            ((cx + 2, cy - 2, w, h), BICYCLE, 0.7),  # overlaps, but another class: kept
        ]
    )
    dets = by_confidence(detect_one(constant_model(output), make_frame(FRAME_W, FRAME_H)))
    assert dets.class_id.tolist() == [PERSON, BICYCLE]
    np.testing.assert_allclose(dets.confidence, [0.9, 0.7], atol=1e-6)
    np.testing.assert_allclose(dets.xyxy[0], PERSON_BOX, atol=1.0)


def test_nms_keeps_same_class_boxes_that_overlap_less_than_nms_iou(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    cx, cy, w, h = to_input(PERSON_BOX)
    output = v8_output([((cx, cy, w, h), PERSON, 0.9), ((cx + w / 2, cy, w, h), PERSON, 0.8)])
    # IoU of two boxes shifted by half their width = 1/3.
    model = constant_model(output)
    frame = make_frame(FRAME_W, FRAME_H)
    assert len(detect_one(model, frame, nms_iou=0.5)) == 2
    assert len(detect_one(model, frame, nms_iou=0.3)) == 1


def test_nms_never_suppresses_across_classes_with_negative_coordinates() -> None:
    boxes = np.array([[-300, -300, 20, 20], [-290, -290, 20, 20]], np.float32)
    kept = nms(boxes, np.array([0.9, 0.8], np.float32), np.array([PERSON, CAR], np.int32), 0.5)
    assert sorted(kept.tolist()) == [0, 1]


def test_v5_model_with_v8_layout_raises_clear_model_error(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    output = v5_output([(to_input(PERSON_BOX), PERSON, 0.95, 0.9)])  # [4, 85]
    detector = YoloDetector(YoloConfig(model=constant_model(output), layout="v8"))
    with pytest.raises(ModelError, match=r"YOLOv8/11 output \(1, 4, 85\) does not match 80 labels"):
        detector.detect([make_frame(FRAME_W, FRAME_H)])


def test_v8_model_with_v5_layout_raises_clear_model_error(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    detector = YoloDetector(YoloConfig(model=constant_model(person_and_car()), layout="v5"))
    with pytest.raises(ModelError, match=r"YOLOv5 output \(1, 84, 7\) does not match 80 labels"):
        detector.detect([make_frame(FRAME_W, FRAME_H)])


def test_labels_that_do_not_match_the_model_raise_model_error(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    detector = YoloDetector(
        YoloConfig(model=constant_model(person_and_car()), labels=["person", "car"])
    )
    with pytest.raises(ModelError, match="does not match 2 labels"):
        detector.detect([make_frame(FRAME_W, FRAME_H)])


def test_missing_model_file_raises_model_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "yolo11n.onnx"
    with pytest.raises(ModelError, match="model file not found") as info:
        YoloDetector(YoloConfig(model=missing))
    assert str(missing) in str(info.value)


def test_corrupt_model_file_raises_model_error_naming_the_path(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(ModelError, match="cannot load ONNX model") as info:
        YoloDetector(YoloConfig(model=corrupt))
    assert str(corrupt) in str(info.value)


def test_custom_labels_map_model_classes_to_coco_ids(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    """A 3-class model: index 0 = car, 1 = person, 2 = a name that is not in COCO."""
    labels = ["car", "person", "forklift"]
    output = v8_output(
        [
            (to_input(CAR_BOX), 0, 0.7),
            (to_input(PERSON_BOX), 1, 0.8),
            (to_input((100, 100, 300, 300)), 2, 0.95),
        ],
        n_classes=3,
    )
    dets = by_confidence(
        detect_one(
            constant_model(output),
            make_frame(FRAME_W, FRAME_H),
            labels=labels,
            classes=["person", "car"],
        )
    )
    # "forklift" is not a COCO name, so no config can keep it and it never leaks out as -1.
    assert dets.class_id.tolist() == [PERSON, CAR]
    np.testing.assert_allclose(dets.xyxy[0], PERSON_BOX, atol=1.0)
    np.testing.assert_allclose(dets.xyxy[1], CAR_BOX, atol=1.0)


def test_custom_labels_use_per_class_confidence_by_name(
    constant_model: ModelFactory, make_frame: FrameFactory
) -> None:
    output = v8_output(
        [
            (to_input(CAR_BOX), 0, 0.7),
            (to_input(PERSON_BOX), 1, 0.8),
            (to_input(PERSON_BOX), 2, 0.9),
        ],
        n_classes=3,
    )
    dets = detect_one(
        constant_model(output),
        make_frame(FRAME_W, FRAME_H),
        labels=["car", "person", "dog"],
        classes=["person", "car", "dog"],
        class_confidence={"car": 0.75},
    )
    assert sorted(dets.class_id.tolist()) == [PERSON, DOG]
