"""The switch's cross-validation: generated scenes, the absolute branch and the fold search."""

from __future__ import annotations

import numpy as np
import pytest

from cctwin.analytics.crowd.hybrid import DensityScale, SwitchRule, choose_method
from cctwin.evaluate.crowd_scenes import crops, paste, tile
from cctwin.evaluate.switch_cv import SceneCounts, best_rule, cross_validate, error


def test_crops_count_the_points_inside_each_window() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    points = np.array([[10.0, 10.0], [190.0, 90.0], [100.0, 50.0]])
    windows = list(crops(image, points))
    assert len(windows) == 4 * 9
    name, window, count = windows[0]  # scale 0.25, top left: 25 x 50 px
    assert (name, window.shape[:2], count) == ("crop0.25-00", (25, 50), 1)
    last = next(w for w in windows if w[0] == "crop0.70-22")
    assert last[2] == 2  # bottom-right 70 % window holds the centre and the corner point


def test_tiles_keep_the_first_photos_size() -> None:
    photos = [np.full((60, 90, 3), v, np.uint8) for v in (10, 20, 30, 40)]
    mosaic = tile(photos, 2)
    assert mosaic.shape == (60, 90, 3)
    assert (mosaic[0, 0, 0], mosaic[-1, -1, 0]) == (10, 40)


def test_a_crop_is_pasted_in_the_top_band_and_hides_the_heads_under_it() -> None:
    background = np.full((60, 80, 3), 50, np.uint8)
    heads = np.array([[5.0, 5.0], [70.0, 5.0], [40.0, 50.0]])
    window = np.full((20, 30, 3), 200, np.uint8)
    made = paste(background, heads, 160, window, 0)  # doubled to 160 x 120, crop at the left
    assert made is not None
    canvas, visible = made
    assert canvas.shape == (120, 160, 3)
    assert (canvas[0, 0, 0], canvas[0, 159, 0], canvas[119, 0, 0]) == (200, 50, 50)
    assert visible == 2  # the head at (10, 10) is under the crop
    assert paste(background, heads, 20, window, 0) is None  # the crop does not fit


def test_absolute_branch_switches_a_large_crowd_the_ratio_misses() -> None:
    rule = SwitchRule(absolute=200.0, ratio=4.0, min_per_cell=0.02)
    # 250 people by density and 72 boxes over a wide view: 0.02 per cell fails.
    relative_only = SwitchRule(absolute=float("inf"), ratio=4.0, min_per_cell=0.02)
    assert choose_method(72, 250.0, 14000, relative_only) == "detector"
    assert choose_method(72, 250.0, 14000, rule) == "density"
    assert choose_method(12, 141.9, 12288, rule) == "detector"  # the street ghost scene


def _row(
    fold: str, truth: int, boxes: int, corrected: float, density: float, half: float | None = None
) -> SceneCounts:
    # The detector path counts the boxes; the density path says `density` once scaled.
    raw = density / DensityScale().factor(10000)
    return SceneCounts(f"{fold}-{truth}", fold, "photo", truth, boxes, corrected, 10000,
                       float(boxes), raw, half)  # fmt: skip


def test_search_puts_the_absolute_level_between_ghosts_and_crowds() -> None:
    rows = [
        _row("street", 12, 12, 140.0, 190.0),  # ghosts: density must not be trusted
        _row("street", 20, 20, 30.0, 80.0),
        _row("dense-a", 300, 70, 250.0, 300.0),  # a crowd the detector half sees
        _row("dense-b", 400, 60, 320.0, 400.0),
    ]
    base = SwitchRule(ratio=4.0, absolute=float("inf"))  # the rule before
    chosen = best_rule(rows, base)
    # Not measured at half size, the ghosts can only be kept out by the absolute level.
    assert 140.0 < chosen.absolute <= 250.0
    assert all(error(r, chosen) == pytest.approx(0.0) for r in rows)
    folds = cross_validate(rows, base)
    assert [f.fold for f in folds] == ["dense-a", "dense-b", "street"]
    # Without dense-a the search still needs the level below 320, so dense-a is caught too.
    assert folds[0].error < folds[0].error_before


def test_the_half_size_run_lets_the_search_trust_crowds_the_ghosts_looked_like() -> None:
    rows = [
        _row("street", 12, 12, 140.0, 190.0, half=14.0),  # a texture: gone at half size
        _row("street", 20, 20, 30.0, 80.0, half=20.0),
        _row("dense-a", 180, 20, 130.0, 180.0, half=80.0),  # wide view, part of it packed
        _row("dense-b", 270, 18, 166.0, 270.0, half=124.0),
    ]
    chosen = best_rule(rows, SwitchRule())
    # No absolute level or per-cell rule separates these; the share kept at half size does.
    assert 0.1 < chosen.min_kept_at_half <= 0.45
    assert all(error(r, chosen) == pytest.approx(0.0) for r in rows)
    # Each dense fold left out is still caught, and the texture never switches.
    for fold in cross_validate(rows, SwitchRule(min_kept_at_half=0.0)):
        assert fold.error == pytest.approx(0.0)
