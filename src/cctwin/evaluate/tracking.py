"""Tracking accuracy (MOTA, IDF1, ...) with py-motmetrics, the MOTChallenge reference code."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cctwin.evaluate.mot import MotRows


@dataclass(frozen=True)
class TrackingScores:
    """CLEAR-MOT and identity scores at IoU >= 0.5; keys match `cctwin eval tracking --json`."""

    mota: float
    motp: float
    idf1: float
    idp: float
    idr: float
    precision: float
    recall: float
    num_switches: int
    num_false_positives: int
    num_misses: int
    num_fragmentations: int
    mostly_tracked: int
    partially_tracked: int
    mostly_lost: int
    num_unique_objects: int
    num_frames: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _motmetrics() -> Any:
    import numpy

    # motmetrics 1.4.0 (the newest) still calls np.asfarray, removed in NumPy 2.
    if not hasattr(numpy, "asfarray"):

        def asfarray(a: Any, dtype: Any = numpy.float64) -> Any:
            return numpy.asarray(a, dtype=dtype)

        numpy.asfarray = asfarray  # type: ignore[attr-defined]
    import motmetrics

    return motmetrics


def score_tracking(gt: MotRows, tracks: MotRows, iou_threshold: float = 0.5) -> TrackingScores:
    """Match tracks to ground truth frame by frame (as motmetrics' compare_to_groundtruth)."""
    mm = _motmetrics()
    gt = gt.select(gt.confidence > 0)  # MOTChallenge marks ignored boxes with 0
    accumulator = mm.MOTAccumulator(auto_id=False)
    frames = np.union1d(np.unique(gt.frame), np.unique(tracks.frame))
    gt_by_frame = _group(gt)
    hyp_by_frame = _group(tracks)
    empty = np.empty((0, 4))
    for frame in frames.tolist():
        gt_rows = gt_by_frame.get(frame)
        hyp_rows = hyp_by_frame.get(frame)
        gt_ids = gt.track_id[gt_rows] if gt_rows is not None else np.empty(0, np.int64)
        hyp_ids = tracks.track_id[hyp_rows] if hyp_rows is not None else np.empty(0, np.int64)
        gt_boxes = gt.ltwh[gt_rows] if gt_rows is not None else empty
        hyp_boxes = tracks.ltwh[hyp_rows] if hyp_rows is not None else empty
        distances = mm.distances.iou_matrix(gt_boxes, hyp_boxes, max_iou=1 - iou_threshold)
        accumulator.update(gt_ids.tolist(), hyp_ids.tolist(), distances, frameid=frame)
    handler = mm.metrics.create()
    names = [f for f in TrackingScores.__dataclass_fields__ if f != "num_frames"]
    summary = handler.compute(accumulator, metrics=[*names, "num_frames"], name="all")
    row = summary.loc["all"]
    values: dict[str, Any] = {}
    for name in TrackingScores.__dataclass_fields__:
        value = row[name]
        integer = name.startswith(("num_", "mostly_", "partially_"))
        values[name] = int(value) if integer else round(float(value), 6)
    return TrackingScores(**values)


def _group(rows: MotRows) -> dict[int, np.ndarray[Any, np.dtype[np.intp]]]:
    order = np.argsort(rows.frame, kind="stable")
    frames = rows.frame[order]
    starts = np.flatnonzero(np.r_[True, frames[1:] != frames[:-1]])
    ends = np.r_[starts[1:], len(frames)]
    return {int(frames[s]): order[s:e] for s, e in zip(starts, ends, strict=True)}
