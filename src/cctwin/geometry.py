"""The one place that converts coordinates: normalised <-> pixels, and point/segment tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


def to_pixels(points_norm: Sequence[Sequence[float]], width: int, height: int) -> FloatArray:
    """Normalised [0, 1] points (as stored in config) to pixel coordinates of one image size."""
    points = np.asarray(points_norm, dtype=np.float32).reshape(-1, 2)
    return points * np.array([width, height], dtype=np.float32)


def points_in_polygon(points: FloatArray, polygon: FloatArray) -> npt.NDArray[np.bool_]:
    """Even-odd rule test of many points (n, 2) against one polygon (m, 2), vectorised."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    x = points[:, 0:1]
    y = points[:, 1:2]
    x1, y1 = polygon[:, 0], polygon[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    straddles = (y1 > y) != (y2 > y)
    # Where the edge is horizontal `straddles` is False, so the division is never used.
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    crossings = straddles & (x < x_cross)
    inside: npt.NDArray[np.bool_] = (crossings.sum(axis=1) % 2) == 1
    return inside


def side_of_line(points: FloatArray, start: FloatArray, end: FloatArray) -> FloatArray:
    """Signed area of each point against the directed line start->end.

    In image coordinates (y down), > 0 is the right-hand side of someone walking from
    `start` to `end` as drawn on the screen, < 0 the left-hand side, 0 on the line.
    """
    direction = end - start
    rel = points - start
    result: FloatArray = (direction[0] * rel[:, 1] - direction[1] * rel[:, 0]).astype(np.float32)
    return result


def segments_intersect(p1: FloatArray, p2: FloatArray, q1: FloatArray, q2: FloatArray) -> bool:
    """Whether segment p1-p2 properly crosses segment q1-q2 (touching counts as crossing)."""

    def orient(a: FloatArray, b: FloatArray, c: FloatArray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1 = orient(q1, q2, p1)
    d2 = orient(q1, q2, p2)
    d3 = orient(p1, p2, q1)
    d4 = orient(p1, p2, q2)
    return (d1 * d2 <= 0) and (d3 * d4 <= 0) and not (d1 == 0 and d2 == 0)


def box_iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise IoU of boxes a (n, 4) and b (m, 4), both xyxy."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    iou: FloatArray = np.where(union > 0, inter / np.maximum(union, 1e-9), 0).astype(np.float32)
    return iou


def bounding_box_norm(points_norm: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    """The xyxy bounding box of normalised points, clipped to [0, 1]."""
    points = np.clip(np.asarray(points_norm, dtype=np.float64).reshape(-1, 2), 0.0, 1.0)
    (x1, y1), (x2, y2) = points.min(axis=0), points.max(axis=0)
    return (float(x1), float(y1), float(x2), float(y2))


def normalise_box(
    xyxy: Sequence[float], width: int, height: int
) -> tuple[float, float, float, float]:
    """A pixel box xyxy of an image `width` x `height` as [0, 1] fractions, clipped."""
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    w, h = max(width, 1), max(height, 1)
    return bounding_box_norm([(x1 / w, y1 / h), (x2 / w, y2 / h)])
