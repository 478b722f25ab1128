"""The density path's size correction: its cross-validated search on generated scene counts."""

from __future__ import annotations

import pytest

from cctwin.analytics.crowd.hybrid import NO_SCALE, DensityScale, SwitchRule
from cctwin.evaluate.density_scale_cv import best_scale, cross_validate, error
from cctwin.evaluate.switch_cv import SceneCounts


def _dense(fold: str, truth: int, cells: int, undercount: float) -> SceneCounts:
    # Few boxes and a packed map: the shipped switch sends these to the density path.
    raw = truth / undercount
    return SceneCounts(f"{fold}-{cells}", fold, "photo" if cells > 8000 else "crop", truth, 5,
                       raw, cells, 5.0, raw)  # fmt: skip


def _rows() -> list[SceneCounts]:
    # CSRNet counts 1/1.2 of a photo and less of smaller crops, the same in both folds.
    rows = []
    for fold in ("dense-a", "dense-b"):
        for cells, under in ((12288, 1.2), (6144, 1.3), (3072, 1.4), (1536, 1.5), (768, 1.6)):
            rows.append(_dense(fold, 500, cells, under))
    return rows


def test_the_search_finds_a_factor_that_falls_with_the_input_size() -> None:
    chosen = best_scale(_rows(), SwitchRule())
    assert chosen.per_doubling < 0
    assert chosen.factor(12288) == pytest.approx(1.2, abs=0.06)
    assert chosen.factor(768) == pytest.approx(1.6, abs=0.06)


def test_each_fold_left_out_is_counted_better_than_unscaled() -> None:
    rule = SwitchRule()
    for fold in cross_validate(_rows(), rule):
        assert fold.error < fold.error_before
        ((photo_before, photo_after),) = fold.photos.values()
        assert photo_after < photo_before
    row = _rows()[0]
    assert error(row, NO_SCALE, rule) == pytest.approx(1 - 1 / 1.2)
    assert error(row, DensityScale(at_reference=1.2, per_doubling=0.0), rule) == pytest.approx(0)


def test_detector_path_scenes_are_not_scaled() -> None:
    street = SceneCounts("s", "street-0", "photo", 12, 12, 5.0, 12288, 12.0, 60.0)
    assert error(street, DensityScale(at_reference=1.5), SwitchRule()) == 0.0
