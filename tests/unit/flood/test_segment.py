"""The bundled water segmenter loads and returns a deterministic binary mask."""

from pathlib import Path

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


def test_weak_and_small_regions_are_dropped() -> None:
    from cctwin.analytics.flood.segment import drop_weak_regions

    mask = np.zeros((100, 100), dtype=np.uint8)
    prob = np.zeros((100, 100), dtype=np.float32)
    mask[10:50, 10:50], prob[10:50, 10:50] = 255, 0.9  # a confident sheet: 16 % of the image
    mask[70:90, 10:50], prob[70:90, 10:50] = 255, 0.45  # a weak patch
    mask[95:97, 95:97], prob[95:97, 95:97] = 255, 0.95  # a confident speck
    kept = drop_weak_regions(mask, prob, min_mean=0.6, min_area=0.01)
    assert kept[30, 30] == 255
    assert kept[80, 30] == 0
    assert kept[96, 96] == 0
    assert np.array_equal(drop_weak_regions(mask, prob, 0.0, 0.0), mask)


class OnesBackbone:
    """A backbone whose every feature is 1, so the head's arithmetic can be checked by hand."""

    def __init__(self, name: str, chans: int) -> None:
        self.name, self.chans = name, chans

    def features(self, resized_bgr: np.ndarray) -> np.ndarray:
        return np.ones((self.chans, resized_bgr.shape[0] // 8, resized_bgr.shape[1] // 8), "f4")


def test_hidden_layer_head_is_evaluated_in_numpy(tmp_path: Path) -> None:
    """An MLP head (w1, b1 before w, b) gives ReLU(x W1 + b1) w + b per cell."""
    from cctwin.analytics.flood.segment import DEFAULT_MODEL

    data = dict(np.load(DEFAULT_MODEL))
    rng = np.random.default_rng(2)
    chans = data["mu"].shape[0]
    data["w1"] = rng.normal(0, 0.1, (chans, 8)).astype(np.float32)
    data["b1"] = rng.normal(0, 0.1, 8).astype(np.float32)
    data["w"] = rng.normal(0, 1.0, 8).astype(np.float32)
    data["b"] = np.float32(0.1)  # a single head, as files before the seed ensemble hold
    model = tmp_path / "mlp.npz"
    np.savez(model, **data)

    seg = WaterSegmenter(model, backbone=OnesBackbone(str(data["backbone"]), chans))  # type: ignore[arg-type]
    x = (np.ones(chans, np.float32) - data["mu"]) / data["sigma"]
    want = np.maximum(x @ data["w1"] + data["b1"], 0) @ data["w"] + data["b"]
    got = seg._cell_logits(np.zeros((64, 96, 3), np.uint8))
    np.testing.assert_allclose(got, np.full((1, 8, 12), want), rtol=1e-4)


def test_stacked_heads_average_their_probabilities(tmp_path: Path) -> None:
    """Heads of several training seeds (a leading axis) give the mean of their sigmoids."""
    from cctwin.analytics.flood.segment import DEFAULT_MODEL

    data = dict(np.load(DEFAULT_MODEL))
    rng = np.random.default_rng(3)
    chans = data["mu"].shape[0]
    data["w1"] = rng.normal(0, 0.1, (2, chans, 8)).astype(np.float32)
    data["b1"] = rng.normal(0, 0.1, (2, 8)).astype(np.float32)
    data["w"] = rng.normal(0, 1.0, (2, 8)).astype(np.float32)
    data["b"] = np.array([0.5, -2.0], np.float32)
    data["flip_average"] = np.bool_(False)
    model = tmp_path / "ensemble.npz"
    np.savez(model, **data)

    seg = WaterSegmenter(model, backbone=OnesBackbone(str(data["backbone"]), chans))  # type: ignore[arg-type]
    x = (np.ones(chans, np.float32) - data["mu"]) / data["sigma"]
    logits = [
        np.maximum(x @ data["w1"][i] + data["b1"][i], 0) @ data["w"][i] + data["b"][i]
        for i in range(2)
    ]
    want = np.mean([1 / (1 + np.exp(-z)) for z in logits])
    assert abs(1 / (1 + np.exp(-logits[0])) - 1 / (1 + np.exp(-logits[1]))) > 0.01
    image = np.zeros((200, 300, 3), np.uint8)
    cells = seg.cell_probabilities(image)
    np.testing.assert_allclose(cells, np.full(cells.shape, want), rtol=1e-4)
