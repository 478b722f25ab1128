"""The bundled water segmenter loads and returns a deterministic binary mask."""

import numpy as np

from cctwin.analytics.flood.segment import WaterSegmenter


def test_mask_shape_binary_deterministic() -> None:
    seg = WaterSegmenter()
    img = np.random.default_rng(0).integers(0, 255, (123, 217, 3), dtype=np.uint8)
    a, b = seg(img), seg(img)
    assert a.shape == img.shape[:2]
    assert set(np.unique(a).tolist()) <= {0, 255}
    assert np.array_equal(a, b)
