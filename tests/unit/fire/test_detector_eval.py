"""Bundled fire detector contract, cell regions, and the evaluation metrics and plots."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cctwin.analytics.fire.detector import (
    FireDetector,
    FireScore,
    _hot_cells_region,
    bundled_classifier,
    name_hash,
)
from cctwin.analytics.fire.features import BackboneEmbedder, UInt8Array, extract_features
from cctwin.evaluate.fire import (
    evaluate_fire,
    fire_eval_command,
    metrics,
    score_dataset,
    score_images,
    write_plots,
)
from cctwin.evaluate.inputs import content_hash


class RednessScorer:
    """Fire probability = how much red outweighs blue; one image name is 'training'."""

    threshold = 0.5

    def __init__(self, training: frozenset[str] = frozenset()) -> None:
        self.training_hashes = training

    def score(self, image_bgr: UInt8Array) -> FireScore:
        b, r = float(image_bgr[..., 0].mean()), float(image_bgr[..., 2].mean())
        return FireScore(fire=max(0.0, min(1.0, 0.5 + (r - b) / 255)), smoke=0.0, region_xyxy=None)


def _dataset(root: Path) -> Path:
    colours = {
        "fire_images": [(20, 120, 250), (30, 140, 240), (130, 120, 120)],  # last one is missed
        "normal_images": [(130, 128, 126), (200, 120, 60), (40, 100, 230)],  # last one is a FP
    }
    for folder, bgrs in colours.items():
        (root / folder).mkdir(parents=True)
        for i, bgr in enumerate(bgrs):
            cv2.imwrite(str(root / folder / f"{i}.png"), np.full((48, 64, 3), bgr, np.uint8))
    (root / "normal_images" / "broken.jpg").write_bytes(b"not an image")
    return root


def test_metrics_on_generated_images(tmp_path: Path) -> None:
    result = evaluate_fire(_dataset(tmp_path), RednessScorer())
    assert result["n"] == 6
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (2, 1, 1, 2)
    assert result["precision"] == 2 / 3
    assert result["recall"] == 2 / 3
    assert abs(result["fpr"] - 1 / 3) < 1e-9


def test_training_images_are_excluded_by_hash(tmp_path: Path) -> None:
    scorer = RednessScorer(frozenset({name_hash("fire_images/0.png")}))
    assert evaluate_fire(_dataset(tmp_path), scorer)["n"] == 5


def test_content_hash_list_skips_renamed_copies_and_counts_unreadable(tmp_path: Path) -> None:
    root = _dataset(tmp_path)
    trained = root / "fire_images" / "0.png"
    (root / "normal_images" / "copy-of-0.png").write_bytes(trained.read_bytes())
    # A name hash that would wrongly match is ignored once a content list is given.
    scorer = RednessScorer(frozenset({name_hash("fire_images/1.png")}))
    scored, skips = score_dataset(root, scorer, True, frozenset({content_hash(trained)}))
    assert skips.trained_on == ["fire_images/0.png", "normal_images/copy-of-0.png"]
    assert skips.unreadable == ["normal_images/broken.jpg"]
    assert len(scored) == 5


@pytest.mark.parametrize("layout", ["missing", "empty"])
def test_unusable_folders_exit_2_with_one_line(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if layout == "empty":
        (tmp_path / "fire_images").mkdir()
        (tmp_path / "normal_images").mkdir()
    assert fire_eval_command(tmp_path, as_json=True) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert ("needs fire_images/" if layout == "missing" else "no images") in captured.err


def test_plots_are_written(tmp_path: Path) -> None:
    scored = score_images(_dataset(tmp_path / "data"), RednessScorer())
    paths = write_plots(scored, 0.5, tmp_path / "plots")
    assert {p.name for p in paths} == {"fire-pr.png", "fire-scores.png", "fire-mistakes.png"}
    assert all(p.stat().st_size > 1000 for p in paths)
    assert metrics(scored, 1.01)["recall"] == 0.0


def test_hot_cells_region_maps_grid_to_image() -> None:
    logits = np.full(13 * 13, -5.0, dtype=np.float32)
    logits[6 * 13 + 6] = 2.0
    x1, y1, x2, y2 = _hot_cells_region(logits, 13, 13, (1300, 2600, 3)) or (0, 0, 0, 0)
    assert (x1, y1, x2, y2) == (1200, 600, 1400, 700)
    assert _hot_cells_region(np.full(169, -1.0, np.float32), 13, 13, (10, 10, 3)) is None


def test_bundled_detector_scores_a_frame() -> None:
    detector = FireDetector()
    assert 0.0 < detector.threshold < 1.0
    assert detector.training_hashes
    image = np.full((720, 1280, 3), 90, dtype=np.uint8)
    image[300:500, 500:700] = (20, 140, 255)
    score = detector.score(image)
    assert 0.0 <= score.fire <= 1.0
    assert score.region_xyxy is not None
    x1, y1, x2, y2 = score.region_xyxy
    assert 0 <= x1 < x2 <= 1280
    assert 0 <= y1 < y2 <= 720


def _variant(tmp_path: Path, name: str, **arrays: float) -> FireDetector:
    """The bundled model with some arrays replaced (a value of nan drops the array)."""
    data = np.load(bundled_classifier())
    fields = {k: data[k] for k in data.files}
    for key, value in arrays.items():
        if np.isnan(value):
            fields.pop(key)
        else:
            fields[key] = np.float32(value)
    np.savez(tmp_path / name, **fields)
    return FireDetector(model=tmp_path / name)


def test_bundled_detector_runs_the_tiled_pass_only_above_its_gate(tmp_path: Path) -> None:
    detector = FireDetector()
    assert detector.tile_mix > 0.0
    threshold_logit = float(np.log(detector.threshold / (1.0 - detector.threshold)))
    # Training puts the gate far below the alarm threshold (below every development fire).
    assert detector.tile_gate < threshold_logit - 4.0
    assert detector.needs_tiles(detector.tile_gate)
    assert not detector.needs_tiles(detector.tile_gate - 0.01)
    image = np.full((240, 320, 3), 90, dtype=np.uint8)
    single = extract_features(image, BackboneEmbedder())
    one_pass = detector.one_pass_logit(single)
    # Gated out: one backbone pass, the tile term at its floor.
    skipping = _variant(tmp_path, "high-gate.npz", tile_gate=one_pass + 1.0)
    expected = one_pass + skipping.tile_mix * skipping.tile_floor
    assert skipping.logit(single) == pytest.approx(expected)
    assert skipping.score(image).fire == pytest.approx(1.0 / (1.0 + np.exp(-expected)), rel=1e-5)
    # Through the gate, or on a model trained before the cascade, the tiles are required.
    for model in (
        _variant(tmp_path, "low-gate.npz", tile_gate=one_pass - 1.0),
        _variant(tmp_path, "ungated.npz", tile_gate=np.nan, tile_floor=np.nan),
    ):
        assert model.needs_tiles(one_pass)
        with pytest.raises(ValueError, match="tiled pass"):
            model.logit(single)
        tiled = extract_features(image, BackboneEmbedder(), tiles=True)
        assert model.score(image).fire == pytest.approx(
            1.0 / (1.0 + np.exp(-model.logit(tiled))), rel=1e-5
        )


def test_model_without_tile_arrays_scores_from_one_pass(tmp_path: Path) -> None:
    data = np.load(bundled_classifier())
    older = tmp_path / "older.npz"
    np.savez(older, **{k: data[k] for k in data.files if not k.startswith("tile_")})
    detector = FireDetector(model=older)
    assert detector.tile_mix == 0.0
    image = np.full((240, 320, 3), 90, dtype=np.uint8)
    features = extract_features(image, BackboneEmbedder())
    assert detector.score(image).fire == pytest.approx(
        1.0 / (1.0 + np.exp(-detector.logit(features))), rel=1e-5
    )
