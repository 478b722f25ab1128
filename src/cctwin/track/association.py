"""Matching tracks to detections by box overlap and appearance (pure functions)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

FloatArray = npt.NDArray[np.float32]
Pairs = list[tuple[int, int]]


def iou_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """Intersection over union of every xyxy box in `a` (rows) with every box in `b`."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 2], b[None, :, 2])
    bottom = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.asarray(inter / np.maximum(union, 1e-6), dtype=np.float32)


def cosine_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cosine similarity of L2-normalised rows; zeros when either side has no embedding."""
    if a.shape[1] == 0 or b.shape[1] == 0 or a.shape[1] != b.shape[1]:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    return np.asarray(a @ b.T, dtype=np.float32)


def fused_similarity(
    iou: FloatArray,
    appearance: FloatArray,
    known: npt.NDArray[np.bool_],
    weight: float,
    min_iou: float,
    veto: float = -1.0,
) -> FloatArray:
    """IoU plus `weight` x cosine, for pairs that overlap at least `min_iou` (others -1).

    Overlap stays the gate, so appearance never joins boxes that motion rules out; among the
    boxes that do overlap a track (two people crossing), it favours the one that looks like
    the track. A pair whose cosine is below `veto` is ruled out however much it overlaps.
    `known[t]` is False for a track with no embedding yet: it keeps plain IoU.
    """
    similarity = iou + weight * appearance * known[:, None]
    allowed = (iou >= min_iou) & ~((appearance < veto) & known[:, None])
    return np.asarray(np.where(allowed, similarity, -1.0), dtype=np.float32)


def assign(similarity: FloatArray, minimum: float) -> tuple[Pairs, list[int], list[int]]:
    """Best one-to-one pairs with similarity >= `minimum`; then unmatched rows and columns."""
    rows, cols = similarity.shape
    pairs: Pairs = []
    if rows and cols:
        for row, col in zip(*linear_sum_assignment(similarity, maximize=True), strict=True):
            if similarity[row, col] >= minimum:
                pairs.append((int(row), int(col)))
    matched_rows = {r for r, _ in pairs}
    matched_cols = {c for _, c in pairs}
    return (
        pairs,
        [r for r in range(rows) if r not in matched_rows],
        [c for c in range(cols) if c not in matched_cols],
    )


def relink_similarity(
    last_boxes: FloatArray,
    missing_s: FloatArray,
    track_embeddings: FloatArray,
    boxes: FloatArray,
    embeddings: FloatArray,
    reach_heights_per_s: float,
) -> FloatArray:
    """Cosine between lost tracks and new boxes that are near enough to be them (others -1).

    A lost track's Kalman box drifts while the person is hidden, so re-finding them goes by
    appearance, gated by how far a walker gets: `reach_heights_per_s` body heights per
    second missing (plus half a height for box jitter), from where the track was last seen.
    """
    appearance = cosine_matrix(track_embeddings, embeddings)
    if appearance.size == 0:
        return appearance
    centres_t = (last_boxes[:, :2] + last_boxes[:, 2:]) / 2
    centres_d = (boxes[:, :2] + boxes[:, 2:]) / 2
    distance = np.linalg.norm(centres_t[:, None, :] - centres_d[None, :, :], axis=2)
    height = np.maximum(last_boxes[:, 3] - last_boxes[:, 1], 1.0)
    reach = height * (0.5 + reach_heights_per_s * missing_s)
    return np.asarray(np.where(distance <= reach[:, None], appearance, -1.0), dtype=np.float32)
