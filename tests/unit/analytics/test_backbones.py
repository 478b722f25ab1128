"""Dense backbones: stride-8 grids, the CSRNet cut, and resampling onto the grid."""

from __future__ import annotations

import numpy as np
import pytest

from cctwin.analytics.backbones import (
    EfficientNetBackbone,
    NanoDetBackbone,
    VggBackbone,
    _to_grid,
    create_backbone,
)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)


def test_vgg_front_end_gives_768_channels_on_the_stride_8_grid(image: np.ndarray) -> None:
    backbone = VggBackbone()
    features = backbone.features(image)
    assert features.shape == (768, 12, 16)
    assert features.dtype == np.float32
    # ReLU outputs, and not all zero: the front end really ran.
    assert features.min() >= 0.0
    assert features.max() > 0.0


def test_vgg_graph_is_cut_before_the_density_back_end() -> None:
    backbone = VggBackbone()
    outputs = [o.name for o in backbone.session.get_outputs()]
    assert outputs == list(backbone.tensors)
    assert "density" not in outputs


def test_nanodet_gives_896_channels(image: np.ndarray) -> None:
    features = NanoDetBackbone().features(image)
    assert features.shape == (896, 12, 16)


def test_efficientnet_maps_have_their_strides_and_stack_to_1752_channels(
    image: np.ndarray,
) -> None:
    backbone = EfficientNetBackbone()
    maps = backbone.maps(image)
    assert [m.shape for m in maps] == [(40, 12, 16), (112, 6, 8), (320, 3, 4), (1280, 3, 4)]
    # The 1,280-channel head is upsampled in slices (OpenCV takes at most 512 at once).
    features = backbone.features(image)
    assert features.shape == (1752, 12, 16)
    np.testing.assert_allclose(features[-1280:, ::4, ::4].mean(), maps[-1].mean(), rtol=0.2)


def test_efficientnet_head_is_relu6_and_sees_a_flame_coloured_blob() -> None:
    # Lite0's head ends in ReLU6 (no swish, no squeeze-excite): its values lie in [0, 6].
    grey = np.full((224, 224, 3), 128, dtype=np.uint8)
    blob = grey.copy()
    blob[64:160, 64:160] = (20, 140, 255)
    head_grey, head_blob = (EfficientNetBackbone().maps(x)[-1] for x in (grey, blob))
    assert head_blob.min() >= 0.0
    assert head_blob.max() <= 6.0
    assert np.abs(head_blob - head_grey).mean() > 0.05


def test_factory_picks_by_name() -> None:
    assert create_backbone("vgg").name == "vgg"
    assert create_backbone("nanodet").name == "nanodet"
    assert create_backbone("efficientnet").name == "efficientnet"


def test_grid_resampling_averages_down_and_interpolates_up() -> None:
    fine = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    down = _to_grid(fine, 2, 3)
    assert down.shape == (2, 2, 3)
    assert down[0, 0, 0] == pytest.approx(np.mean([0, 1, 6, 7]))
    coarse = np.ones((3, 2, 2), dtype=np.float32) * np.array([1, 2, 3], np.float32)[:, None, None]
    up = _to_grid(coarse, 4, 4)
    assert up.shape == (3, 4, 4)
    assert np.allclose(up[2], 3.0)
    same = np.zeros((1, 4, 4), dtype=np.float32)
    assert _to_grid(same, 4, 4) is same
