"""Water evaluation on generated datasets: exact IoU/F1, skips by hash, bad inputs, plots."""

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from cctwin.evaluate.inputs import content_hash, read_hash_list, write_hash_list
from cctwin.evaluate.water import (
    development_split,
    evaluate_water,
    score_dataset,
    summarise,
    water_eval_command,
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
    mask[image.shape[0] * 3 // 4 :, :] = 255
    return mask


def test_development_split_is_the_first_60_percent(tmp_path: Path) -> None:
    root = _dataset(tmp_path, 10)
    assert [p.name for p in development_split(root)] == [f"{i:02d}.jpg" for i in range(6)]


def test_iou_and_f1_are_exact_over_every_image(tmp_path: Path) -> None:
    result = evaluate_water(_dataset(tmp_path), _lower_quarter)
    # Predicted 10 of the 20 true water rows: IoU 0.5, F1 2*10/(2*10+0+10) = 2/3.
    assert result["n"] == 5
    assert result["iou"] == pytest.approx(0.5)
    assert result["pixel_f1"] == pytest.approx(2 / 3)
    assert result["skipped_trained_on"] == 0


def test_training_images_are_skipped_by_content_not_name(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "data")
    trained = root / "images" / "01.jpg"
    # The same photo renamed still counts as trained on; the list's names do not matter.
    copy = root / "images" / "zz-renamed.jpg"
    copy.write_bytes(trained.read_bytes())
    cv2.imwrite(str(root / "masks" / "zz-renamed.png"), cv2.imread(str(root / "masks/01.png")))
    hashes = tmp_path / "training.sha256"
    write_hash_list(hashes, [trained], "trained on")
    assert read_hash_list(hashes) == {content_hash(trained)}
    run = score_dataset(root, _lower_quarter, read_hash_list(hashes))
    assert sorted(run.skips.trained_on) == ["01.jpg", "zz-renamed.jpg"]
    assert len(run.scores) == 4


def test_a_mask_of_another_size_is_resized_and_counted(tmp_path: Path) -> None:
    root = _dataset(tmp_path)
    # The reported crash: a photo of 300x595 with a mask of 362x600.
    cv2.imwrite(str(root / "images" / "00.jpg"), np.zeros((300, 595, 3), np.uint8))
    mask = np.zeros((362, 600), np.uint8)
    mask[181:, :] = 255
    cv2.imwrite(str(root / "masks" / "00.png"), mask)
    run = score_dataset(root, _lower_quarter, frozenset())
    assert run.skips.resized_truth == ["00.jpg"]
    assert len(run.scores) == 5
    first = run.scores[0]
    assert first.true.shape == (300, 595)
    assert first.iou == pytest.approx(0.5, abs=0.02)  # resizing kept the lower half as water


def test_unreadable_image_and_missing_or_broken_masks_are_skipped(tmp_path: Path) -> None:
    root = _dataset(tmp_path)
    (root / "images" / "00.jpg").write_bytes(b"not a jpeg")
    (root / "masks" / "01.png").unlink()
    (root / "masks" / "02.png").write_bytes(b"not a png")
    run = score_dataset(root, _lower_quarter, frozenset())
    assert (run.skips.unreadable, run.skips.no_truth, run.skips.bad_truth) == (
        ["00.jpg"], ["01.jpg"], ["02.jpg"],
    )  # fmt: skip
    assert len(run.scores) == 2
    lines = run.skips.lines(len(run.scores), "mask")
    assert lines[0] == "scored 2 of 5 images"
    assert "skipped, no mask: 1 (01.jpg)" in lines


@pytest.mark.parametrize("layout", ["missing", "empty", "no-masks"])
def test_unusable_folders_exit_2_with_one_line(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "data"
    if layout == "empty":
        (root / "images").mkdir(parents=True)
    elif layout == "no-masks":
        (root / "images").mkdir(parents=True)
        cv2.imwrite(str(root / "images" / "a.jpg"), np.zeros((8, 8, 3), np.uint8))
    assert water_eval_command(root, as_json=True, plots=None) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    expected = {"missing": "no such folder", "empty": "no images", "no-masks": "no mask"}
    assert expected[layout] in captured.err


def test_plots_are_written(tmp_path: Path) -> None:
    run = score_dataset(_dataset(tmp_path / "data"), _lower_quarter, frozenset())
    assert summarise(run.scores)["n"] == 5
    paths = write_plots(run.scores, tmp_path / "plots", worst=3)
    assert [p.name for p in paths] == ["water_iou_hist.png", "water_worst.png"]
    for p in paths:
        image = cv2.imread(str(p))
        assert image is not None
        assert image.shape[0] > 100
