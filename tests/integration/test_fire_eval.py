"""Fire evaluation on the held-out part of fire-cair (no accuracy assertion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctwin.analytics.fire.detector import FireDetector, split_of
from cctwin.evaluate.fire import TRAINING_HASHES, evaluate_fire, score_dataset
from cctwin.evaluate.inputs import read_hash_list

DATASET = Path(__file__).resolve().parents[3] / "shared" / "data" / "fire-cair"


@pytest.mark.skipif(not DATASET.is_dir(), reason=f"fire-cair data absent at {DATASET}")
def test_evaluate_fire_on_held_out_part() -> None:
    held_out = sum(
        split_of(f"{folder}/{path.name}") == "test"
        for folder in ("fire_images", "normal_images")
        for path in (DATASET / folder).iterdir()
    )
    detector = FireDetector()
    metrics = evaluate_fire(DATASET, detector)
    assert {"precision", "recall", "f1", "fpr", "n"} <= metrics.keys()
    assert metrics["n"] == held_out
    # The content-hash list skips the same photos as the model's name hashes.
    scored, skips = score_dataset(DATASET, detector, True, read_hash_list(TRAINING_HASHES))
    assert len(scored) == held_out
    assert len(skips.trained_on) == len(detector.training_hashes)
