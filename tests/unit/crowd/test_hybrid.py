"""Hybrid counting: duplicate suppression, the detector/density switch, and the eval report."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.crowd.density import DensityCounter, DensityResult
from cctwin.analytics.crowd.hybrid import (
    HybridCounter,
    HybridResult,
    SwitchRule,
    choose_method,
    floor_corrected_count,
)
from cctwin.analytics.crowd.people import PersonBoxes, PersonCounter, suppress_contained
from cctwin.detect.nanodet import bundled_model
from cctwin.evaluate.counting import evaluate_counting


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
    ("detected", "corrected", "cells", "expected"),
    [
        (12, 141.9, 12288, "detector"),  # a textured street scene: CSRNet sees ghosts
        (30, 410.0, 10496, "density"),  # a packed square the detector cannot separate
        (0, 10.0, 100, "detector"),  # too few people to matter
        (60, 210.0, 1000, "detector"),  # the detector already finds over a quarter
        (0, 0.0, 0, "detector"),
    ],
)
def test_switch_rule(detected: int, corrected: float, cells: int, expected: str) -> None:
    assert choose_method(detected, corrected, cells, SwitchRule()) == expected


def test_hybrid_reports_method_and_both_estimates() -> None:
    image = np.zeros((240, 320, 3), np.uint8)
    sparse = HybridCounter(people=FakePeople(5), density=FakeDensity(6.0)).count(image)
    assert isinstance(sparse, HybridResult)
    assert (sparse.method, sparse.count, sparse.detector_count) == ("detector", 5.0, 5)
    dense = HybridCounter(people=FakePeople(5), density=FakeDensity(300.0)).count(image)
    assert dense.method == "density"
    assert dense.count == pytest.approx(dense.density_count)
    assert dense.count > 300.0


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
    assert report["splits"]["development"]["images"] == ["IMG_0.jpg", "IMG_1.jpg"]
    assert report["splits"]["held_out"]["mae"] == pytest.approx(3.0)
    assert {f.name for f in plots.iterdir()} == {
        "error_histogram.png",
        "pred_vs_true.png",
        "worst.png",
    }


@pytest.mark.skipif(not bundled_model().is_file(), reason="NanoDet model not bundled")
def test_real_detector_finds_nobody_in_a_blank_image() -> None:
    counter = PersonCounter(threads=1)
    assert counter.input_sizes(1280, 720) == [(416, 416), (1280, 704)]
    assert len(counter.detect(np.full((720, 1280, 3), 127, np.uint8))) == 0
