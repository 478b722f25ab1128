"""Hybrid counting: duplicate suppression, the detector/density switch, and the eval report."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.crowd.density import DensityCounter, DensityResult
from cctwin.analytics.crowd.faces import FaceDetector
from cctwin.analytics.crowd.hybrid import (
    NO_SCALE,
    DensityScale,
    DistantCrowdRule,
    HybridCounter,
    HybridResult,
    SwitchRule,
    choose_method,
    distant_crowd_fill,
    distant_patches,
    floor_corrected_count,
)
from cctwin.analytics.crowd.people import (
    PersonBoxes,
    PersonCounter,
    PersonCountSettings,
    ScalePass,
    owned_by_pass,
    pass_input_size,
    suppress_contained,
)
from cctwin.detect.nanodet import bundled_model
from cctwin.evaluate.counting import evaluate_counting
from cctwin.types import Detections, Frame


class FakePeople(PersonCounter):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> PersonBoxes:
        xyxy = np.array([[10 * i, 10, 10 * i + 8, 40] for i in range(self.n)], np.float32)
        return PersonBoxes(xyxy.reshape(-1, 4), np.full(self.n, 0.9, np.float32))


class FakeDensity(DensityCounter):
    def __init__(self, people: float) -> None:
        self.people = people

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> DensityResult:
        h, w = image_bgr.shape[:2]
        cells = (h // 8, w // 8)
        density = np.full(cells, 0.01 + self.people / (cells[0] * cells[1]), np.float32)
        return DensityResult(float(density.sum()), density)


def test_contained_duplicate_is_dropped_but_neighbours_stay() -> None:
    xyxy = np.array(
        [[0, 0, 100, 200], [10, 100, 90, 195], [120, 0, 220, 200], [60, 0, 160, 200]],
        dtype=np.float32,
    )
    confidence = np.array([0.9, 0.5, 0.8, 0.4], dtype=np.float32)
    kept = suppress_contained(xyxy, confidence, containment=0.8)
    # Box 1 (a lower-body box inside box 0) goes; box 3 overlaps two people by half and stays.
    assert sorted(kept.tolist()) == [0, 2, 3]


def test_floor_is_removed_per_cell() -> None:
    density = np.full((10, 10), 0.01, np.float32)
    density[0, 0] = 1.01
    corrected, cells = floor_corrected_count(density, 0.01)
    assert corrected == pytest.approx(1.0)
    assert cells == 100


@pytest.mark.parametrize(
    ("detected", "corrected", "cells", "at_half", "expected"),
    [
        # crowd-street's IMG_18: a stone wall CSRNet reads as 144 heads, 15 at half size.
        (12, 141.9, 12288, 14.6, "detector"),
        (12, 141.9, 12288, None, "density"),  # the full-size estimate alone would switch
        (30, 410.0, 10496, 359.0, "density"),  # a packed square the detector cannot separate
        (0, 10.0, 100, 10.0, "detector"),  # too few people to matter
        (60, 210.0, 1000, 120.0, "density"),  # packed, and CSRNet sees 3.5 times the boxes
        (60, 70.0, 1000, 60.0, "detector"),  # packed, but the detector finds nearly everyone
        (72, 250.0, 14000, 150.0, "density"),  # a wide view of a large crowd: the absolute level
        # 270 people in part of a 1024x768 view; the detector found 18 (the held-out failure)
        (18, 166.0, 12288, 124.0, "density"),
        (90, 174.0, 12288, 140.0, "detector"),  # a mosaic of street photos the detector counts
        (0, 0.0, 0, None, "detector"),
    ],
)
def test_switch_rule(
    detected: int, corrected: float, cells: int, at_half: float | None, expected: str
) -> None:
    assert choose_method(detected, corrected, cells, SwitchRule(), at_half) == expected


class TextureDensity(FakeDensity):
    """Heads CSRNet sees at full size only, as on a rubble-stone wall."""

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> DensityResult:
        if max_side >= max(image_bgr.shape[:2]):
            return super().count(image_bgr, roi_mask, max_side)
        h, w = image_bgr.shape[:2]
        density = np.full((h // 16, w // 16), 0.01, np.float32)
        return DensityResult(float(density.sum()), density)


def test_a_texture_is_not_counted_as_a_crowd() -> None:
    image = np.zeros((240, 320, 3), np.uint8)
    result = HybridCounter(people=FakePeople(5), density=TextureDensity(300.0)).count(image)
    assert result.method == "detector"
    # The boxes, plus what CSRNet adds around the distant ones: nowhere near 300.
    assert result.count == pytest.approx(5.0 + result.density_fill)
    assert result.count < 20.0
    assert result.density_corrected > 250.0
    assert result.density_corrected_at_half == pytest.approx(0.0)


def test_hybrid_reports_method_and_both_estimates() -> None:
    image = np.zeros((240, 320, 3), np.uint8)
    sparse = HybridCounter(people=FakePeople(5), density=FakeDensity(6.0)).count(image)
    assert isinstance(sparse, HybridResult)
    assert (sparse.method, sparse.count, sparse.detector_count) == ("detector", 5.0, 5)
    dense = HybridCounter(people=FakePeople(5), density=FakeDensity(300.0)).count(image)
    assert dense.method == "density"
    # The density path scales CSRNet's raw sum by the input's size; density_count stays raw.
    assert dense.count == pytest.approx(dense.density_count * DensityScale().factor(30 * 40))
    raw = HybridCounter(people=FakePeople(5), density=FakeDensity(300.0), scale=NO_SCALE)
    assert raw.count(image).count == pytest.approx(dense.density_count)
    # The switch's inputs are reported: the map's cells and the floor-corrected sum.
    assert dense.density_cells == 30 * 40
    assert 0 < dense.density_corrected < dense.density_count
    assert dense.count > 300.0


class FakeFaces(FaceDetector):
    def __init__(self, xyxy: list[tuple[float, float, float, float]]) -> None:
        self.xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)

    def detect(self, image_bgr: npt.NDArray[np.uint8], confidence: float) -> PersonBoxes:
        return PersonBoxes(self.xyxy, np.full(len(self.xyxy), 0.9, np.float32))


def test_faces_join_the_detector_count() -> None:
    image = np.zeros((240, 320, 3), np.uint8)
    # Box 0 spans x 0-8, y 10-40: one face at its top, one far from every box.
    faces = FakeFaces([(2.0, 11.0, 6.0, 16.0), (200.0, 100.0, 210.0, 112.0)])
    counter = HybridCounter(people=FakePeople(5), density=FakeDensity(6.0), faces=faces)
    result = counter.count(image)
    assert (result.method, result.detector_count, result.faces, result.people) == (
        "detector", 5, 2, 6,
    )  # fmt: skip
    assert result.count == 6.0
    # Faces outside the ROI are left out, as boxes whose feet are outside are.
    mask = np.zeros((240, 320), bool)
    mask[:, :25] = True
    inside = counter.count(image, mask)
    assert (inside.detector_count, inside.faces, inside.people) == (3, 1, 3)
    without = HybridCounter(people=FakePeople(5), density=FakeDensity(6.0), use_faces=False)
    assert without.count(image).count == 5.0


def test_roi_mask_counts_feet_inside_only() -> None:
    image = np.zeros((240, 320, 3), np.uint8)
    mask = np.zeros((240, 320), bool)
    mask[:, :25] = True  # boxes 0-2 have feet at x = 4, 14, 24
    result = HybridCounter(people=FakePeople(6), density=FakeDensity(1.0)).count(image, mask)
    assert result.detector_count == 3


def test_eval_report_has_method_and_split(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    truths = [3, 5, 7, 9]
    for i, n in enumerate(truths):
        cv2.imwrite(str(tmp_path / "images" / f"IMG_{i}.jpg"), np.zeros((64, 64, 3), np.uint8))
        points = [[1.0 * k, 2.0] for k in range(n)]
        (tmp_path / f"IMG_{i}.json").write_text(json.dumps(points))
    plots = tmp_path / "plots"
    report = evaluate_counting(tmp_path, HybridCounter(FakePeople(5), FakeDensity(1.0)), plots)
    assert report["n"] == 4
    assert report["mae"] == pytest.approx((2 + 0 + 2 + 4) / 4)
    assert {r["method"] for r in report["per_image"]} == {"detector"}
    assert {r["density_fill"] for r in report["per_image"]} == {0.0}
    assert report["splits"]["not_tuned_on"]["n"] == 4
    assert report["splits"]["tuned_on"]["n"] == 0
    assert {f.name for f in plots.iterdir()} == {
        "error_histogram.png",
        "pred_vs_true.png",
        "worst.png",
    }


@pytest.mark.skipif(not bundled_model().is_file(), reason="NanoDet model not bundled")
def test_real_detector_finds_nobody_in_a_blank_image() -> None:
    counter = PersonCounter(threads=1)
    assert counter.input_sizes(1280, 720) == [(416, 416), (832, 480), (1280, 704)]
    assert len(counter.detect(np.full((720, 1280, 3), 127, np.uint8))) == 0


def test_pass_input_sizes_keep_aspect_in_multiples_of_32() -> None:
    assert pass_input_size(ScalePass(416, 0.3, square=True), 1024, 768) == (416, 416)
    assert pass_input_size(ScalePass(832, 0.4), 1024, 768) == (832, 640)
    assert pass_input_size(ScalePass(1280, 0.4), 1024, 768) == (1280, 960)
    assert pass_input_size(ScalePass(1280, 0.4), 720, 1280) == (704, 1280)


def test_a_pass_keeps_only_the_people_it_owns() -> None:
    xyxy = np.array([[0, 0, 10, 50], [0, 0, 40, 100], [0, 0, 80, 400]], np.float32)
    detail = ScalePass(1280, 0.4, max_height=0.104)
    # 10.4% of 768 rows is 79.9 px: only the 50 px tall person is small enough.
    assert owned_by_pass(xyxy, detail, 768).tolist() == [True, False, False]
    assert owned_by_pass(xyxy, ScalePass(832, 0.4), 768).all()


class FakeNanoDet:
    """Returns fixed boxes (in image pixels) whatever the frame."""

    def __init__(self, xyxy: list[list[float]], confidence: list[float]) -> None:
        self.result = Detections(
            xyxy=np.asarray(xyxy, np.float32).reshape(-1, 4),
            confidence=np.asarray(confidence, np.float32),
            class_id=np.zeros(len(confidence), np.int32),
        )

    def detect(self, frames: list[Frame]) -> list[Detections]:
        return [self.result for _ in frames]


def test_passes_are_filtered_by_size_then_merged(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = PersonCountSettings(
        passes=(ScalePass(416, 0.3, square=True), ScalePass(1280, 0.4, max_height=0.1)),
        containment=0.9,
    )
    counter = PersonCounter(settings)
    overview = FakeNanoDet([[100, 100, 200, 700]], [0.8])  # a close person, seen whole
    detail = FakeNanoDet(
        [
            [100, 400, 200, 700],  # their lower half: too tall for the detail pass
            [500, 50, 520, 110],  # a distant person only the detail pass sees
            [502, 52, 519, 108],  # the same distant person again, inside the first box
        ],
        [0.9, 0.5, 0.45],
    )
    fakes = {(416, 416): overview, (1280, 960): detail}
    monkeypatch.setattr(counter, "_detector", lambda w, h, c: fakes[(w, h)])
    found = counter.detect(np.zeros((768, 1024, 3), np.uint8))
    assert len(found) == 2
    assert sorted(found.xyxy[:, 0].tolist()) == [100.0, 500.0]


def _crowd_map(rows: int = 96, cols: int = 128) -> npt.NDArray[np.float32]:
    """A density map with the 0.01 floor, 12 people in cells 20-29 x 40-59 and 50 ghosts."""
    density = np.full((rows, cols), 0.01, np.float32)
    density[20:30, 40:60] += 12.0 / 200  # a distant group
    density[70:90, 0:30] += 50.0 / 600  # texture CSRNet mistakes for people
    return density


def _distant_boxes(n: int) -> npt.NDArray[np.float32]:
    # 40 px tall people (of 768) standing in the group, in image pixels (8 px per cell).
    return np.array([[330 + 25 * i, 170, 345 + 25 * i, 210] for i in range(n)], np.float32)


def test_patches_cover_distant_boxes_only() -> None:
    rule = DistantCrowdRule()
    near = np.array([[0, 100, 200, 760]], np.float32)
    xyxy = np.concatenate([_distant_boxes(4), near])
    patches, distant = distant_patches(xyxy, (768, 1024), (96, 128), rule)
    assert distant == 4
    assert patches[25, 45]
    assert not patches[50, 10]  # inside the close person's box, which is not distant
    assert not patches[80, 10]
    few, count = distant_patches(_distant_boxes(2), (768, 1024), (96, 128), rule)
    assert count == 2
    assert not few.any()


def test_fill_adds_hidden_people_in_distant_groups_but_not_ghosts() -> None:
    rule = DistantCrowdRule()
    density = _crowd_map()
    fill = distant_crowd_fill(density, _distant_boxes(4), (768, 1024), 0.01, rule)
    # The grown boxes cover rows 20-27 x cols 40-53 (112 cells of 0.06 people each) of the
    # 12-person group and none of the 50 ghosts; the 4 boxes there are already counted.
    assert fill == pytest.approx(112 * 12.0 / 200 - 4, rel=1e-4)
    assert distant_crowd_fill(density, _distant_boxes(2), (768, 1024), 0.01, rule) == 0.0
    # Never negative: boxes beyond CSRNet's estimate leave the detector count alone.
    assert distant_crowd_fill(density, _distant_boxes(14), (768, 1024), 0.01, rule) == 0.0
    outside = np.zeros_like(density, dtype=bool)
    assert distant_crowd_fill(density, _distant_boxes(4), (768, 1024), 0.01, rule, outside) == 0


class MapDensity(DensityCounter):
    def __init__(
        self, density: npt.NDArray[np.float32], halved: npt.NDArray[np.float32] | None = None
    ) -> None:
        self.density = density
        self.halved = density if halved is None else halved

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> DensityResult:
        chosen = self.density if max_side >= max(image_bgr.shape[:2]) else self.halved
        return DensityResult(float(chosen.sum()), chosen)


def _crowd_map_halved() -> npt.NDArray[np.float32]:
    """`_crowd_map` with the input halved: the group keeps 9 of its 12, the texture is gone."""
    density = np.full((48, 64), 0.01, np.float32)
    density[10:15, 20:30] += 9.0 / 50
    return density


class BoxPeople(PersonCounter):
    def __init__(self, xyxy: npt.NDArray[np.float32]) -> None:
        super().__init__()
        self.xyxy = xyxy

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> PersonBoxes:
        return PersonBoxes(self.xyxy, np.full(len(self.xyxy), 0.9, np.float32))


def test_hybrid_count_adds_the_distant_fill() -> None:
    image = np.zeros((768, 1024, 3), np.uint8)
    density = MapDensity(_crowd_map(), _crowd_map_halved())
    counter = HybridCounter(people=BoxPeople(_distant_boxes(4)), density=density)
    result = counter.count(image)
    # 62 corrected against 4 boxes would switch, but at half size only 9 of them remain.
    assert result.density_corrected_at_half == pytest.approx(9.0, rel=1e-3)
    assert result.method == "detector"
    assert result.detector_count == 4
    assert result.density_fill == pytest.approx(112 * 12.0 / 200 - 4, rel=1e-4)
    assert result.count == pytest.approx(4 + result.density_fill)


def test_density_scale_grows_on_smaller_inputs_and_stays_in_the_development_range() -> None:
    scale = DensityScale()
    # A ShanghaiTech-sized photo (1024x768: 128x96 cells) against a quarter-size crop.
    photo, crop = scale.factor(128 * 96), scale.factor(32 * 24)
    assert 1.0 < photo < crop
    assert scale.factor(scale.reference_cells) == pytest.approx(scale.at_reference)
    # Outside the development range the factor is held, never extrapolated.
    assert scale.factor(10) == scale.factor(scale.min_cells)
    assert scale.factor(10**6) == scale.factor(scale.max_cells)
    assert NO_SCALE.factor(500) == NO_SCALE.factor(50_000) == 1.0
