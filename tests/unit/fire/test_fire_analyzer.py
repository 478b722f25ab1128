"""Fire video confirmation: one hot frame is not enough, k of n is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from cctwin.analytics.fire.detector import FireAnalyzer, FireScore
from cctwin.analytics.fire.features import UInt8Array


class ScriptedScorer:
    """Returns fire scores from a script, one per call."""

    threshold = 0.5

    def __init__(self, fire: list[float]) -> None:
        self.fire = list(fire)

    def score(self, image_bgr: UInt8Array) -> FireScore:
        return FireScore(fire=self.fire.pop(0), smoke=0.0, region_xyxy=(10, 10, 40, 30))


def _frames(count: int) -> list[UInt8Array]:
    frames = []
    for i in range(count):
        image = np.full((60, 80, 3), 90, dtype=np.uint8)
        # The orange patch changes size, as real flames do, so flicker is present.
        image[10 : 20 + 5 * (i % 3), 10:40] = (20, 140, 255)
        frames.append(image)
    return frames


def _run(scores: list[float]) -> list[str]:
    analyzer = FireAnalyzer(ScriptedScorer(scores), every=1, k=3, n=5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = []
    for i, frame in enumerate(_frames(len(scores))):
        kinds += [f.kind for f in analyzer.update("cam", frame, start + timedelta(seconds=i))]
    return kinds


def test_single_hot_frame_does_not_fire() -> None:
    assert _run([0.1, 0.1, 0.99, 0.1, 0.1, 0.1]) == []


def test_k_of_n_fires() -> None:
    assert "buildingFire" in _run([0.1, 0.9, 0.2, 0.8, 0.9])


def test_static_flame_colour_without_flicker_does_not_fire() -> None:
    analyzer = FireAnalyzer(ScriptedScorer([0.9] * 5), every=1, k=3, n=5)
    frame = _frames(1)[0]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    findings = [analyzer.update("cam", frame, start + timedelta(seconds=i)) for i in range(5)]
    assert all(not f for f in findings)


def test_only_every_nth_frame_is_scored() -> None:
    scorer = ScriptedScorer([0.1, 0.1])
    analyzer = FireAnalyzer(scorer, every=3)
    for i, frame in enumerate(_frames(6)):
        analyzer.update("cam", frame, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i))
    assert scorer.fire == []
