"""`cctwin eval masking` on a generated data set: coverage, masked area, halves, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.evaluate.inputs import Skips
from cctwin.evaluate.masking import Split, evaluate_masking, score_image
from cctwin.privacy.masker import Masker, MaskSettings

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "crowd-street" / "train_data"


class LeftHalf(Masker):
    """Masks the left half of every image: heads there are covered, the rest are not."""

    def regions(self, image, people=None, vehicles=None):  # type: ignore[no-untyped-def]
        return np.array([[0, 0, image.shape[1] // 2, image.shape[0]]], np.int32)


def _dataset(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "ground-truth").mkdir()
    points = {"a": [[10, 10], [90, 10]], "b": [[5, 5], [20, 30], [70, 30]], "c": [[80, 5]]}
    for stem, heads in points.items():
        cv2.imwrite(str(root / "images" / f"{stem}.png"), np.zeros((40, 100, 3), np.uint8))
        (root / "ground-truth" / f"{stem}.json").write_text(json.dumps({"points": heads}))
    return root


def test_score_image_counts_points_inside_and_misses_outside() -> None:
    mask = np.zeros((10, 10), bool)
    mask[:, :5] = True
    row = score_image("x", "development", np.array([[1, 1], [7, 7], [4.9, 9.9], [-1, 3]]), mask)
    assert (row.heads, row.covered, row.masked_area_fraction) == (4, 2, 0.5)


def test_halves_are_scored_apart(tmp_path: Path) -> None:
    report = evaluate_masking(_dataset(tmp_path), LeftHalf(), Split.ALL, Skips())
    assert report.part().head_coverage == pytest.approx(3 / 6)
    assert report.part().masked_area_fraction == pytest.approx(0.5)
    dev, held = report.part("development"), report.part("held_out")
    assert (dev.n, dev.heads, dev.head_coverage) == (2, 5, pytest.approx(3 / 5))
    assert (held.n, held.heads, held.head_coverage) == (1, 1, 0.0)
    only_dev = evaluate_masking(tmp_path, LeftHalf(), Split.DEVELOPMENT, Skips())
    assert [r.image for r in only_dev.rows] == ["a.png", "b.png"]


def test_cli_json_keys_and_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cctwin.evaluate.masking.Masker", lambda settings: LeftHalf(settings))
    runner = CliRunner()
    dataset, plots = _dataset(tmp_path / "data"), tmp_path / "plots"
    args = ["eval", "masking", "--dataset", str(dataset), "--json", "--plots", str(plots)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"head_coverage", "masked_area_fraction", "n"} <= report.keys()
    assert report["n"] == 3
    assert report["splits"]["held_out"]["n"] == 1
    assert sorted(p.name for p in plots.iterdir()) == [
        "a-masked.jpg",
        "b-masked.jpg",
        "c-masked.jpg",
    ]
    missing = runner.invoke(app, ["eval", "masking", "--dataset", str(tmp_path / "nope")])
    assert missing.exit_code == 2


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/crowd-street is absent")
def test_real_masker_covers_heads_on_one_development_photo() -> None:
    """One development photo only: the full score is a benchmark (docs/security.md)."""
    from cctwin.evaluate.counting import ground_truth_points
    from cctwin.evaluate.inputs import read_image
    from cctwin.privacy.regions import coverage_mask

    image = read_image(DATA / "images" / "IMG_1.jpg")
    assert image is not None
    rects = Masker(MaskSettings()).regions(image)
    mask = coverage_mask(rects, image.shape[1], image.shape[0])
    row = score_image("IMG_1.jpg", "development", ground_truth_points(DATA, "IMG_1"), mask)
    assert row.covered >= 0.8 * row.heads
    assert row.masked_area_fraction <= 0.5
