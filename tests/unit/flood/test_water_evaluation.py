"""Water evaluation on a generated dataset: exact IoU/F1, split sizes and the plot files."""

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from cctwin.evaluate.water import (
    development_split,
    held_out,
    score_images,
    summarise,
    write_plots,
)


def _dataset(root: Path, n: int = 5) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        image = np.full((40, 60, 3), 20 * i, np.uint8)
        mask = np.zeros((40, 60), np.uint8)
        mask[20:, :] = 255  # the lower half is water in every image
        cv2.imwrite(str(root / "images" / f"{i:02d}.jpg"), image)
        cv2.imwrite(str(root / "masks" / f"{i:02d}.png"), mask)
    return root


def _lower_quarter(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[30:, :] = 255
    return mask


def test_splits_are_disjoint_and_cover_the_dataset(tmp_path: Path) -> None:
    root = _dataset(tmp_path, 10)
    dev, test = development_split(root), held_out(root)
    assert len(dev) == 6
    assert len(test) == 4
    assert not set(dev) & set(test)
    assert held_out(root, exclude_training=False) == dev + test


def test_iou_and_f1_are_exact(tmp_path: Path) -> None:
    root = _dataset(tmp_path)
    result = summarise(score_images(root, _lower_quarter, held_out(root, False)))
    # Predicted 10 of the 20 true water rows: IoU 0.5, F1 2*10/(2*10+0+10) = 2/3.
    assert result["n"] == 5
    assert result["iou"] == pytest.approx(0.5)
    assert result["pixel_f1"] == pytest.approx(2 / 3)


def test_plots_are_written(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "data")
    scores = score_images(root, _lower_quarter, held_out(root, False))
    paths = write_plots(scores, tmp_path / "plots", worst=3)
    assert [p.name for p in paths] == ["water_iou_hist.png", "water_worst.png"]
    for p in paths:
        image = cv2.imread(str(p))
        assert image is not None
        assert image.shape[0] > 100
