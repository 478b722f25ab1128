"""Input size from the source, and appearance embeddings pooled from the detector's features."""

from datetime import UTC, datetime

import numpy as np
import pytest
from test_nanodet import PETS, PETS_FRAME, pets_frame

from cctwin.config import NanoDetConfig
from cctwin.detect.embedding import BANDS, pool_boxes
from cctwin.detect.nanodet import NanoDetDetector
from cctwin.types import Frame


@pytest.mark.parametrize(
    ("frame", "expected"),
    [((768, 576), (768, 576)), ((1920, 1080), (768, 448)), ((640, 360), (640, 352))],
)
def test_unset_input_size_follows_the_source(
    frame: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert NanoDetConfig().input_size(*frame) == expected


def test_a_set_input_size_wins() -> None:
    config = NanoDetConfig(input_width=416, input_height=256)
    assert config.input_size(1920, 1080) == (416, 256)


def test_pooled_box_describes_what_is_inside_it() -> None:
    features = np.zeros((4, 20, 20), np.float32)
    features[0, 2:8, 2:6] = 1.0  # a person-shaped blob of channel 0
    features[1, 12:18, 12:16] = 1.0  # another, of channel 1
    boxes = np.array([[16, 16, 48, 64], [96, 96, 128, 144]], np.float32)  # stride-8 pixels
    emb = pool_boxes(features, boxes, stride=8)
    assert emb.shape == (2, 4 * BANDS)
    assert np.linalg.norm(emb, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    same_as_first = pool_boxes(features, boxes[:1] + 1, stride=8)
    assert float(emb[0] @ same_as_first[0]) > 0.99
    assert float(emb[0] @ emb[1]) < 0.5


def test_boxes_at_the_edge_and_no_boxes() -> None:
    features = np.random.default_rng(0).random((8, 10, 12)).astype(np.float32)
    edge = np.array([[-20, -20, 4, 4], [90, 70, 200, 200]], np.float32)
    emb = pool_boxes(features, edge, stride=8)
    assert np.isfinite(emb).all()
    assert pool_boxes(features, np.empty((0, 4), np.float32)).shape == (0, 8 * BANDS)


@pytest.mark.skipif(not (PETS / "video.avi").is_file(), reason=f"PETS2009 clip not found at {PETS}")
@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_the_bundled_detector_describes_each_box_and_sizes_itself(precision: str) -> None:
    image = pets_frame()
    frame = Frame("pets", PETS_FRAME, datetime(2009, 1, 1, tzinfo=UTC), 0.0, image)
    config = NanoDetConfig(classes=["person"], confidence=0.35, precision=precision)  # type: ignore[arg-type]
    detector = NanoDetDetector(config)
    [dets] = detector.detect([frame])
    assert detector.size == (768, 576)  # from the frame, not a square 416
    assert len(dets) >= 6
    assert dets.embedding.shape == (len(dets), 128 * BANDS)
    assert np.linalg.norm(dets.embedding, axis=1) == pytest.approx(np.ones(len(dets)), abs=1e-4)
    # Different people do not look identical.
    cosines = dets.embedding @ dets.embedding.T
    assert cosines[~np.eye(len(dets), dtype=bool)].max() < 0.99
    [plain] = NanoDetDetector(config.model_copy(update={"appearance": False})).detect([frame])
    assert plain.embedding.shape == (len(plain), 0)
    assert plain.xyxy == pytest.approx(dets.xyxy)
