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


def _scene() -> np.ndarray:
    """A sky-blue top, a grey wall and a dark, smooth, reflective-looking bottom band."""
    rng = np.random.default_rng(1)
    img = np.empty((360, 640, 3), dtype=np.uint8)
    img[:120] = (230, 190, 140)
    img[120:220] = rng.integers(90, 140, (100, 640, 3), dtype=np.uint8)
    img[220:] = (80, 70, 60)
    return img


def test_region_segmentation_matches_the_whole_frame_inside_the_roi() -> None:
    seg = WaterSegmenter()
    img = _scene()
    whole = seg.probability(img)
    bottom = seg.probability(img, (0.0, 0.6, 1.0, 1.0))
    # Inside the ROI the backbone saw the same pixels, with more than its reach of context.
    np.testing.assert_allclose(bottom[int(0.6 * 360) :], whole[int(0.6 * 360) :], atol=0.01)
    # The top of the frame was never segmented.
    assert float(bottom[:40].max()) < 1e-3
    roi = [(0.0, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0)]
    assert np.array_equal(seg.within(roi)(img)[216:], seg(img)[216:])


def test_network_box_keeps_a_margin_on_the_32_pixel_grid() -> None:
    from cctwin.analytics.flood.segment import REGION_MARGIN, _network_box

    assert _network_box(None, 416, 320) == (0, 0, 416, 320)
    x1, y1, x2, y2 = _network_box((0.25, 0.5, 0.5, 0.75), 416, 320)
    assert all(v % 32 == 0 for v in (x1, y1, x2, y2))
    assert x1 <= 0.25 * 416 - REGION_MARGIN
    assert y1 <= 0.5 * 320 - REGION_MARGIN
    assert x2 >= 0.5 * 416 + REGION_MARGIN
    assert y2 >= 0.75 * 320 + REGION_MARGIN
    # A sliver of an ROI at the edge still gives the backbone a block to look at.
    x1, y1, x2, y2 = _network_box((1.0, 1.0, 1.0, 1.0), 416, 320)
    assert x2 - x1 >= 32
    assert y2 - y1 >= 32
