"""Detection accuracy: precision, recall and AP of boxes at an IoU threshold, per frame."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from cctwin.evaluate.mot import MotRows
from cctwin.geometry import box_iou


@dataclass(frozen=True)
class DetectionScores:
    """Box-level scores; `ap` is the area under the interpolated precision-recall curve."""

    precision: float
    recall: float
    ap: float
    true_positives: int
    false_positives: int
    false_negatives: int
    num_frames: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _xyxy(ltwh: np.ndarray) -> np.ndarray:
    boxes = ltwh.astype(np.float32).copy()
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def score_detections(
    gt: MotRows, detections: MotRows, iou_threshold: float = 0.5
) -> DetectionScores:
    """One-to-one matching per frame (Hungarian on IoU), over the frames that have ground truth."""
    gt = gt.select(gt.confidence > 0)
    frames = np.unique(gt.frame)
    matched_scores: list[float] = []
    unmatched_scores: list[float] = []
    false_negatives = 0
    for frame in frames.tolist():
        truth = _xyxy(gt.ltwh[gt.frame == frame])
        rows = detections.frame == frame
        found = _xyxy(detections.ltwh[rows])
        scores = detections.confidence[rows]
        iou = box_iou(truth, found)
        gt_idx, det_idx = linear_sum_assignment(-iou) if iou.size else ([], [])
        good = [(g, d) for g, d in zip(gt_idx, det_idx, strict=True) if iou[g, d] >= iou_threshold]
        hit = {d for _, d in good}
        matched_scores += [float(scores[d]) for _, d in good]
        unmatched_scores += [float(s) for d, s in enumerate(scores) if d not in hit]
        false_negatives += len(truth) - len(good)
    tp, fp = len(matched_scores), len(unmatched_scores)
    total_gt = tp + false_negatives
    return DetectionScores(
        precision=round(tp / max(tp + fp, 1), 6),
        recall=round(tp / max(total_gt, 1), 6),
        ap=round(_average_precision(matched_scores, unmatched_scores, total_gt), 6),
        true_positives=tp,
        false_positives=fp,
        false_negatives=false_negatives,
        num_frames=len(frames),
    )


def _average_precision(hits: list[float], misses: list[float], total_gt: int) -> float:
    if total_gt == 0:
        return 0.0
    scores = np.array(hits + misses)
    is_hit = np.array([1] * len(hits) + [0] * len(misses))
    order = np.argsort(-scores, kind="stable")
    cumulative_tp = np.cumsum(is_hit[order])
    precision = cumulative_tp / np.arange(1, len(order) + 1)
    recall = cumulative_tp / total_gt
    # Interpolate: precision at recall r is the best precision at any recall >= r.
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    recall = np.concatenate([[0.0], recall])
    return float(np.sum((recall[1:] - recall[:-1]) * precision))
