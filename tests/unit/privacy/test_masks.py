"""Mask regions and drawing: head bands from person boxes, padded faces, fill and pixelation."""

from __future__ import annotations

import numpy as np
import pytest

from cctwin.privacy.masker import Masker, MaskSettings, MaskStyle, draw_masks
from cctwin.privacy.regions import HeadRegion, clip_boxes, coverage_mask, head_boxes, pad_boxes


def test_head_band_sits_on_top_of_the_box_and_is_at_least_as_wide_as_tall() -> None:
    region = HeadRegion(above=0.1, height=0.25, width=0.8, min_aspect=0.8)
    (x0, y0, x1, y1), (n0, _, n1, _) = head_boxes(
        np.array([[100, 100, 200, 500], [0, 0, 10, 400]], np.float32), region
    )
    assert (y0, y1) == pytest.approx((60, 200))  # 0.1 * 400 above, 0.25 * 400 below the top
    assert (x0, x1) == pytest.approx((94, 206))  # band 140 tall -> at least 112 wide
    assert n1 - n0 == pytest.approx(0.8 * 140)  # a thin box still gets a head-sized band


def test_pad_clip_and_union() -> None:
    padded = pad_boxes(np.array([[10, 10, 20, 30]], np.float32), 0.5)
    assert padded.tolist() == [[5, 0, 25, 40]]
    rects = clip_boxes(np.array([[-5, -5, 4, 4], [8, 8, 8, 9], [5, 5, 50, 50]], np.float32), 10, 10)
    assert rects.tolist() == [[0, 0, 4, 4], [5, 5, 10, 10]]  # the empty one is gone
    mask = coverage_mask(rects, 10, 10)
    assert mask.sum() == 16 + 25


def test_fill_and_pixelate_change_only_the_regions() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    rects = np.array([[20, 20, 84, 84]], np.int32)
    filled = draw_masks(image, rects, MaskStyle.FILL)
    assert not filled[20:84, 20:84].any()
    pixelated = draw_masks(image, rects, MaskStyle.PIXELATE, blocks=4)
    region = pixelated[20:84, 20:84].reshape(-1, 3)
    # 4 x 4 blocks: at most 16 distinct colours where there were thousands.
    assert len(np.unique(region, axis=0)) <= 16
    outside = np.ones(image.shape[:2], bool)
    outside[20:84, 20:84] = False
    assert np.array_equal(pixelated[outside], image[outside])
    assert np.array_equal(filled[outside], image[outside])


def test_masker_masks_heads_of_given_people_without_detecting() -> None:
    image = np.full((200, 200, 3), 200, np.uint8)
    image[40:60, 90:110] = 0  # a "head" with detail in it
    masker = Masker(MaskSettings(faces=False, plates=False, style=MaskStyle.FILL))
    rects = masker.regions(image, people=np.array([[80, 50, 120, 190]], np.float32))
    assert len(rects) == 1
    x0, y0, x1, y1 = rects[0]
    assert x0 <= 90
    assert x1 >= 110
    assert y0 <= 40
    assert y1 >= 60
    masked = masker.mask(image, people=np.array([[80, 50, 120, 190]], np.float32))
    assert not masked[40:60, 90:110].any()
    assert masked[150, 100].tolist() == [200, 200, 200]


def test_nothing_enabled_masks_nothing() -> None:
    image = np.zeros((50, 50, 3), np.uint8)
    masker = Masker(MaskSettings(faces=False, heads=False, plates=False))
    assert masker.regions(image).shape == (0, 4)
