"""evaluate_water on flood-water-masks: the trained-on photos are skipped by content hash."""

from pathlib import Path

import pytest

from cctwin.analytics.flood.segment import WaterSegmenter
from cctwin.evaluate.inputs import read_hash_list
from cctwin.evaluate.water import TRAINING_HASHES, development_split, evaluate_water

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "flood-water-masks"


@pytest.mark.skipif(
    not (DATA / "images").is_dir(), reason="../shared/data/flood-water-masks is absent"
)
def test_evaluate_water_skips_exactly_the_training_photos() -> None:
    result = evaluate_water(DATA, WaterSegmenter(), read_hash_list(TRAINING_HASHES))
    n_all = len(list((DATA / "images").iterdir()))
    assert result["skipped_trained_on"] == len(development_split(DATA))
    assert result["n"] == n_all - result["skipped_trained_on"]
