"""resize_batch: the table lookup gives exactly the float32 numbers of normalising in floats."""

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from cctwin.detect.nanodet import MEAN, STD
from cctwin.detect.onnx import resize_batch
from cctwin.types import Frame


def _frame(image: np.ndarray) -> Frame:
    return Frame(
        camera_id="cam",
        index=1,
        captured_at=datetime(2024, 1, 1, tzinfo=UTC),
        stream_time_s=0.0,
        image=image,
    )


@pytest.mark.parametrize("rgb", [False, True])
@pytest.mark.parametrize(
    ("mean", "std"),
    [(MEAN, STD), (np.array([0.485, 0.456, 0.406]) * 255, np.array([0.229, 0.224, 0.225]) * 255)],
)
def test_matches_normalising_the_frame_in_floating_point(
    rgb: bool, mean: np.ndarray, std: np.ndarray
) -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (72, 128, 3), dtype=np.uint8) for _ in range(2)]
    images.append(rng.integers(0, 256, (32, 64, 3), dtype=np.uint8))  # already model-sized
    batch = resize_batch([_frame(i) for i in images], 64, 32, mean, std, rgb)
    assert batch.shape == (3, 3, 32, 64)
    assert batch.dtype == np.float32
    for out, image in zip(batch, images, strict=True):
        resized = cv2.resize(image, (64, 32)) if image.shape[:2] != (32, 64) else image
        pixels = resized[:, :, ::-1] if rgb else resized
        expected = ((pixels.astype(np.float32) - mean) / std).transpose(2, 0, 1)
        np.testing.assert_array_equal(out, expected.astype(np.float32))
