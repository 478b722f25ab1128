"""`eval counting` on generated folders: tuned-on images by hash, bad files, empty folders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from cctwin.evaluate.counting import counting_eval_command, evaluate_counting
from cctwin.evaluate.inputs import Skips, content_hash


@dataclass(frozen=True)
class Counted:
    count: float


class BrightnessCounter:
    """Counts mean brightness / 10 people: a different answer per generated image."""

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> Counted:
        return Counted(float(image_bgr.mean()) / 10)


def _dataset(root: Path, truths: list[int]) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "ground-truth").mkdir()
    for i, n in enumerate(truths):
        cv2.imwrite(str(root / "images" / f"IMG_{i}.png"), np.full((16, 16, 3), 10 * n, np.uint8))
        points = [[1.0 * k, 2.0] for k in range(n)]
        (root / "ground-truth" / f"IMG_{i}.json").write_text(json.dumps(points))
    return root


def test_every_image_suffix_is_scored_exactly(tmp_path: Path) -> None:
    report = evaluate_counting(_dataset(tmp_path, [3, 5, 9]), BrightnessCounter())
    assert report["n"] == 3
    assert report["mae"] == pytest.approx(0.0, abs=1e-6)


def test_tuned_on_images_are_skipped_or_reported_apart(tmp_path: Path) -> None:
    root = _dataset(tmp_path, [3, 5, 9])
    tuned = frozenset({content_hash(root / "images" / "IMG_1.png")})
    skips = Skips()
    report = evaluate_counting(root, BrightnessCounter(), None, tuned, skips=skips)
    assert (report["n"], skips.trained_on, report["skipped_trained_on"]) == (2, ["IMG_1.png"], 1)
    both = evaluate_counting(root, BrightnessCounter(), None, tuned, include_tuned=True)
    assert both["splits"]["tuned_on"]["images"] == ["IMG_1.png"]
    assert both["splits"]["not_tuned_on"]["n"] == 2


def test_unreadable_image_and_missing_or_broken_truth_are_skipped(tmp_path: Path) -> None:
    root = _dataset(tmp_path, [3, 5, 9, 4])
    (root / "images" / "IMG_0.png").write_bytes(b"truncated")
    (root / "ground-truth" / "IMG_1.json").unlink()
    (root / "ground-truth" / "IMG_2.json").write_text("{not json")
    skips = Skips()
    report = evaluate_counting(root, BrightnessCounter(), skips=skips)
    assert report["n"] == 1
    assert (skips.unreadable, skips.no_truth, skips.bad_truth) == (
        ["IMG_0.png"], ["IMG_1.png"], ["IMG_2.png"],
    )  # fmt: skip


@pytest.mark.parametrize("layout", ["missing", "empty", "no-truth"])
def test_unusable_folders_exit_2_with_one_line(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "data"
    if layout != "missing":
        (root / "images").mkdir(parents=True)
    if layout == "no-truth":
        cv2.imwrite(str(root / "images" / "a.jpg"), np.zeros((8, 8, 3), np.uint8))
    assert counting_eval_command(root, as_json=True, plots=None) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    expected = {"missing": "no such folder", "empty": "no images", "no-truth": "no ground truth"}
    assert expected[layout] in captured.err


def test_a_count_only_annotation_is_read(tmp_path: Path) -> None:
    root = _dataset(tmp_path, [3, 5])
    (root / "ground-truth" / "IMG_1.json").write_text(json.dumps({"count": 7}))
    report = evaluate_counting(root, BrightnessCounter())
    assert [r["gt"] for r in report["per_image"]] == [3, 7]
