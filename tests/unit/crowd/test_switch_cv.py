"""The switch's cross-validation: generated scenes, the absolute branch and the fold search."""

from __future__ import annotations

import numpy as np
import pytest

from cctwin.analytics.crowd.hybrid import SwitchRule, choose_method
from cctwin.evaluate.crowd_scenes import crops, tile
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


def test_absolute_branch_switches_a_large_crowd_the_ratio_misses() -> None:
    rule = SwitchRule(absolute=200.0)
    # 250 people by density and 72 boxes over a wide view: 0.02 per cell fails.
    assert choose_method(72, 250.0, 14000, SwitchRule(absolute=float("inf"))) == "detector"
    assert choose_method(72, 250.0, 14000, rule) == "density"
    assert choose_method(12, 141.9, 12288, rule) == "detector"  # the street ghost scene


def _row(fold: str, truth: int, boxes: int, corrected: float, density: float) -> SceneCounts:
    # The detector path counts the boxes; the density path says `density`.
    return SceneCounts(f"{fold}-{truth}", fold, "photo", truth, boxes, corrected, 10000,
                       float(boxes), density)  # fmt: skip


def test_search_puts_the_absolute_level_between_ghosts_and_crowds() -> None:
    rows = [
        _row("street", 12, 12, 140.0, 190.0),  # ghosts: density must not be trusted
        _row("street", 20, 20, 30.0, 80.0),
        _row("dense-a", 300, 70, 250.0, 300.0),  # a crowd the detector half sees
        _row("dense-b", 400, 60, 320.0, 400.0),
    ]
    base = SwitchRule(ratio=4.0, absolute=float("inf"))  # the rule before
    chosen = best_rule(rows, base)
    assert 140.0 < chosen.absolute <= 250.0
    assert all(error(r, chosen) == pytest.approx(0.0) for r in rows)
    folds = cross_validate(rows, base)
    assert [f.fold for f in folds] == ["dense-a", "dense-b", "street"]
    # Without dense-a the search still needs the level below 320, so dense-a is caught too.
    assert folds[0].error < folds[0].error_before
