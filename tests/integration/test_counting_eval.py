"""evaluate_counting on the two-image ShanghaiTech A sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctwin.analytics.crowd.density import DEFAULT_MODEL, DensityCounter
from cctwin.evaluate.counting import evaluate_counting

DATA = Path(__file__).resolve().parents[3] / "shared/data/crowd-shanghaitech-a"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/crowd-shanghaitech-a is not present")
@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="csrnet-int8.onnx not built")
def test_counting_eval_keys() -> None:
    report = evaluate_counting(DATA, DensityCounter(threads=1), None)
    assert {"mae", "rmse", "relative_mae", "n", "per_image"} <= report.keys()
    assert report["n"] == 2
