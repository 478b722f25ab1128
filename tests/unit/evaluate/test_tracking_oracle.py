"""Tracking metrics against motmetrics' published TUD numbers; detection scores; MOT reading."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cctwin.errors import EvaluationError
from cctwin.evaluate.detection import score_detections
from cctwin.evaluate.mot import MotRows, read_mot
from cctwin.evaluate.tracking import score_tracking


def repo_root() -> Path:
    here = Path(__file__).resolve()
    return next(p.parent for p in here.parents if p.name == "tests")


ORACLE = (repo_root().parent / "shared" / "data" / "mot-metrics-oracle-tud").resolve()
EXPECTED = ORACLE / "expected_metrics_motmetrics_1.4.0.json"
SEQUENCES = ["TUD-Campus", "TUD-Stadtmitte"]


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    if not EXPECTED.is_file():
        pytest.skip(
            "../shared/data/mot-metrics-oracle-tud not present: the TUD ground truth, tracker "
            f"output and motmetrics 1.4.0 expected metrics are needed (looked in {ORACLE})"
        )
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


def assert_metrics_match(scores: dict[str, float | int], columns: list[str], values: list) -> None:
    assert len(columns) == len(values)
    for name, want in zip(columns, values, strict=True):
        got = scores[name]
        if isinstance(want, int):
            assert isinstance(got, int), name
            assert got == want, name
        else:
            assert got == pytest.approx(want, abs=1e-3), name


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_tud_sequence_matches_motmetrics(expected: dict[str, Any], sequence: str) -> None:
    gt = read_mot(ORACLE / sequence / "gt.txt")
    test = read_mot(ORACLE / sequence / "test.txt")
    scores = score_tracking(gt, test).as_dict()
    columns = expected["columns"]
    assert len(columns) == 15
    assert set(columns) <= set(scores)
    assert_metrics_match(scores, columns, expected[sequence])


def test_tud_row_counts(expected: dict[str, Any]) -> None:
    # SOURCE.txt: gt 359 / 1,156 boxes, test 222 / 749.
    counts = {
        s: (len(read_mot(ORACLE / s / "gt.txt")), len(read_mot(ORACLE / s / "test.txt")))
        for s in SEQUENCES
    }
    assert counts == {"TUD-Campus": (359, 222), "TUD-Stadtmitte": (1156, 749)}


def concatenate(a: MotRows, b: MotRows, offset: int = 100_000) -> MotRows:
    """Both sequences as one, with disjoint frame numbers and ids."""
    return MotRows(
        frame=np.concatenate([a.frame, b.frame + offset]),
        track_id=np.concatenate([a.track_id, b.track_id + offset]),
        ltwh=np.concatenate([a.ltwh, b.ltwh]),
        confidence=np.concatenate([a.confidence, b.confidence]),
    )


def test_tud_overall_matches_motmetrics(expected: dict[str, Any]) -> None:
    campus, stadt = SEQUENCES
    gt = concatenate(read_mot(ORACLE / campus / "gt.txt"), read_mot(ORACLE / stadt / "gt.txt"))
    test = concatenate(
        read_mot(ORACLE / campus / "test.txt"), read_mot(ORACLE / stadt / "test.txt")
    )
    assert_metrics_match(
        score_tracking(gt, test).as_dict(), expected["columns"], expected["OVERALL"]
    )


def rows(*data: tuple[int, int, float, float, float, float, float]) -> MotRows:
    array = np.array(data, dtype=np.float64).reshape(-1, 7)
    return MotRows(
        frame=array[:, 0].astype(np.int64),
        track_id=array[:, 1].astype(np.int64),
        ltwh=array[:, 2:6],
        confidence=array[:, 6],
    )


def test_perfect_tracking_scores_one() -> None:
    gt = rows(*[(f, i, 10 + f + 50 * i, 10, 20, 40, 1) for f in range(1, 11) for i in (1, 2)])
    tracks = rows(
        *[(f, i + 7, 10 + f + 50 * i, 10, 20, 40, 1) for f in range(1, 11) for i in (1, 2)]
    )
    scores = score_tracking(gt, tracks)
    assert (scores.mota, scores.idf1, scores.precision, scores.recall) == (1.0, 1.0, 1.0, 1.0)
    assert scores.motp == 0.0
    assert (scores.num_switches, scores.num_false_positives, scores.num_misses) == (0, 0, 0)
    assert (scores.mostly_tracked, scores.num_unique_objects, scores.num_frames) == (2, 2, 10)


def test_tracking_ignores_gt_rows_with_zero_confidence() -> None:
    gt = rows((1, 1, 0, 0, 10, 10, 1), (1, 2, 50, 50, 10, 10, 0))
    tracks = rows((1, 5, 0, 0, 10, 10, 1))
    scores = score_tracking(gt, tracks)
    assert (scores.num_misses, scores.num_unique_objects, scores.mota) == (0, 1, 1.0)


def test_detection_scores_hand_made() -> None:
    gt = rows(
        (1, 1, 0, 0, 10, 10, 1),  # A: found (0.9)
        (1, 2, 100, 100, 10, 10, 1),  # B: missed
        (2, 3, 50, 50, 10, 10, 1),  # C: found (0.7)
        (2, 4, 0, 0, 10, 10, 0),  # ignored (confidence 0)
    )
    detections = rows(
        (1, -1, 1, 0, 10, 10, 0.9),  # IoU 90/110 = 0.82 with A
        (1, -1, 30, 30, 10, 10, 0.8),  # nothing there: false positive
        (2, -1, 50, 52, 10, 10, 0.7),  # IoU 80/120 = 0.67 with C
        (2, -1, 55, 55, 10, 10, 0.6),  # IoU 25/175 with C, C already taken: false positive
    )
    scores = score_detections(gt, detections)
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (2, 2, 1)
    assert scores.num_frames == 2
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(2 / 3, abs=1e-6)
    # Ranked: 0.9 hit, 0.8 miss, 0.7 hit, 0.6 miss -> recall steps 1/3 at precision 1, then
    # 1/3 more at interpolated precision 2/3: AP = 1/3 + 2/9 = 5/9.
    assert scores.ap == pytest.approx(5 / 9, abs=1e-6)


def test_detection_iou_threshold() -> None:
    gt = rows((1, 1, 0, 0, 10, 10, 1))
    detections = rows((1, -1, 0, 5, 10, 10, 0.9))  # IoU 50/150 = 1/3
    loose = score_detections(gt, detections, iou_threshold=0.3)
    strict = score_detections(gt, detections, iou_threshold=0.5)
    assert (loose.true_positives, loose.false_positives, loose.ap) == (1, 0, 1.0)
    assert (strict.true_positives, strict.false_positives, strict.false_negatives) == (0, 1, 1)
    assert strict.ap == 0.0


def test_detection_hungarian_prefers_the_global_best_matching() -> None:
    # Greedy matching by IoU would give det 0 to gt 0 and leave gt 1 unmatched.
    gt = rows((1, 1, 0, 0, 10, 10, 1), (1, 2, 6, 0, 10, 10, 1))
    detections = rows((1, -1, 3, 0, 10, 10, 0.9), (1, -1, -3, 0, 10, 10, 0.8))
    scores = score_detections(gt, detections, iou_threshold=0.5)
    assert scores.true_positives == 2
    assert scores.false_negatives == 0


def test_detection_scores_with_no_detections() -> None:
    gt = rows((1, 1, 0, 0, 10, 10, 1), (3, 2, 0, 0, 10, 10, 1))
    scores = score_detections(gt, rows())
    assert scores.as_dict() == {
        "precision": 0.0,
        "recall": 0.0,
        "ap": 0.0,
        "true_positives": 0,
        "false_positives": 0,
        "false_negatives": 2,
        "num_frames": 2,
    }


def test_read_mot_columns(tmp_path: Path) -> None:
    path = tmp_path / "gt.txt"
    path.write_text(
        "1,1,10,20,30,40,1,-1,-1,-1\n\n2, 5, 1.5, 2.5, 3, 4, 0.25\n3,7,0,0,5,5\n", encoding="utf-8"
    )
    mot = read_mot(path)
    assert len(mot) == 3
    assert mot.frame.tolist() == [1, 2, 3]
    assert mot.track_id.tolist() == [1, 5, 7]
    assert mot.ltwh.tolist() == [[10, 20, 30, 40], [1.5, 2.5, 3, 4], [0, 0, 5, 5]]
    assert mot.confidence.tolist() == [1.0, 0.25, 1.0]  # missing confidence -> 1.0
    assert mot.in_frames(2, None).frame.tolist() == [2, 3]
    assert mot.in_frames(None, 2).frame.tolist() == [1, 2]


def test_read_mot_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf-8")
    mot = read_mot(path)
    assert len(mot) == 0
    assert mot.ltwh.shape == (0, 4)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1,1,10,20,30,40,1\n1,2,abc,20,30,40,1\n", 2, "not a MOT row"),
        ("1,1,10,20,30,40,1\n\n\n1,2,10,20,30\n", 4, "expected at least 6 columns"),
        ("frame,id,left,top,width,height\n", 1, "not a MOT row"),
    ],
)
def test_read_mot_malformed_row_names_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvaluationError, match=message) as info:
        read_mot(path)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_read_mot_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(EvaluationError, match="no such file") as info:
        read_mot(path)
    assert str(path) in str(info.value)
