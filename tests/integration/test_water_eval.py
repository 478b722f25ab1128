"""evaluate_water on the held-out split of flood-water-masks (no accuracy assertion)."""

from pathlib import Path

import pytest

from cctwin.analytics.flood.segment import WaterSegmenter
from cctwin.evaluate.water import evaluate_water

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "flood-water-masks"


@pytest.mark.skipif(
    not (DATA / "images").is_dir(), reason="../shared/data/flood-water-masks is absent"
)
def test_evaluate_water_held_out() -> None:
    result = evaluate_water(DATA, WaterSegmenter())
    n_all = len(list((DATA / "images").iterdir()))
    assert set(result) == {"iou", "pixel_f1", "n"}
    assert result["n"] == n_all - round(n_all * 0.6)
