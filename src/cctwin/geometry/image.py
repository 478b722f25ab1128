"""Image-plane geometry: normalised <-> pixels, point in polygon, lines, boxes and masks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import shapely  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def to_pixels(points_norm: Sequence[Sequence[float]], width: int, height: int) -> FloatArray:
    """Normalised [0, 1] points (as stored in config) to pixel coordinates of one image size."""
    points = np.asarray(points_norm, dtype=np.float32).reshape(-1, 2)
    return points * np.array([width, height], dtype=np.float32)


@dataclass(frozen=True, eq=False)
class PreparedPolygon:
    """A polygon ready for many point tests: shapely's prepared geometry plus its vertices.

    Build one per zone and image size and keep it: preparing costs more than one test.
    """

    vertices: Float64Array
    shape: shapely.Polygon

    @classmethod
    def of(cls, vertices: npt.ArrayLike) -> PreparedPolygon:
        """A prepared polygon from (m, 2) vertices, m >= 3."""
        points = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
        if len(points) < 3:
            raise ValueError("a polygon needs at least 3 points")
        polygon = shapely.Polygon(points)
        shapely.prepare(polygon)
        return cls(points, polygon)

    def contains(self, points: npt.ArrayLike) -> BoolArray:
        """Which of the (n, 2) points lie inside; see `points_in_polygon` for edges."""
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(xy) == 0:
            return np.zeros(0, dtype=bool)
        x, y = xy[:, 0], xy[:, 1]
        inside: BoolArray = np.asarray(shapely.contains_xy(self.shape, x, y), dtype=bool)
        on_edge = ~inside & np.asarray(shapely.intersects_xy(self.shape, x, y), dtype=bool)
        if on_edge.any():
            # shapely puts an edge point in no polygon (contains) or in both (covers); the
            # half-open crossing rule puts a point on an edge shared by two zones in exactly one.
            inside[on_edge] = _crossings_odd(xy[on_edge], self.vertices)
        return inside


def points_in_polygon(points: npt.ArrayLike, polygon: npt.ArrayLike | PreparedPolygon) -> BoolArray:
    """Which of many points (n, 2) lie inside one polygon, vectorised (shapely `contains_xy`).

    A point exactly on an edge follows the even-odd rule's half-open convention, so a point
    on the edge two adjacent zones share belongs to exactly one of them. Pass a
    `PreparedPolygon` on hot paths; raw vertices (m, 2) are prepared on each call.
    """
    prepared = polygon if isinstance(polygon, PreparedPolygon) else PreparedPolygon.of(polygon)
    return prepared.contains(points)


def _crossings_odd(points: Float64Array, polygon: Float64Array) -> BoolArray:
    """Even-odd rule (a ray towards +x crosses an odd number of edges), half-open in y."""
    x, y = points[:, 0:1], points[:, 1:2]
    x1, y1 = polygon[:, 0], polygon[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    straddles = (y1 > y) != (y2 > y)
    # Where the edge is horizontal `straddles` is False, so the division is never used.
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    inside: BoolArray = ((straddles & (x < x_cross)).sum(axis=1) % 2) == 1
    return inside


def polygon_mask(
    polygon_px: npt.ArrayLike, height: int, width: int, origin: tuple[int, int] = (0, 0)
) -> BoolArray:
    """A polygon in pixels rasterised on a `height` x `width` grid whose top-left is `origin`."""
    shifted = np.asarray(polygon_px, dtype=np.float64).reshape(-1, 2) - np.asarray(origin)
    canvas = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(canvas, [np.round(shifted).astype(np.int32)], 1)
    mask: BoolArray = canvas.astype(bool)
    return mask


def pixel_bounds(polygon_px: npt.ArrayLike, width: int, height: int) -> tuple[int, int, int, int]:
    """The whole-pixel box x0, y0, x1, y1 (exclusive ends) around a polygon, inside the image.

    Never empty: a polygon outside the image gets the one-pixel box at the nearest edge.
    """
    points = np.asarray(polygon_px, dtype=np.float64).reshape(-1, 2)
    x0 = int(np.clip(np.floor(points[:, 0].min()), 0, width - 1))
    y0 = int(np.clip(np.floor(points[:, 1].min()), 0, height - 1))
    x1 = int(np.clip(np.ceil(points[:, 0].max()), x0 + 1, width))
    y1 = int(np.clip(np.ceil(points[:, 1].max()), y0 + 1, height))
    return x0, y0, x1, y1


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
    """Whether segment p1-p2 properly crosses segment q1-q2 (touching counts as crossing).

    Collinear overlap is not a crossing (moving along a tripwire is not crossing it), which
    is why this is not shapely's `intersects`.
    """

    def orient(a: FloatArray, b: FloatArray, c: FloatArray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1 = orient(q1, q2, p1)
    d2 = orient(q1, q2, p2)
    d3 = orient(p1, p2, q1)
    d4 = orient(p1, p2, q2)
    return (d1 * d2 <= 0) and (d3 * d4 <= 0) and not (d1 == 0 and d2 == 0)


def box_intersection(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise intersection areas of boxes a (n, 4) and b (m, 4), both xyxy."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter: FloatArray = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    return inter


def box_area(boxes: FloatArray) -> FloatArray:
    """Areas of (n, 4) xyxy boxes."""
    area: FloatArray = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return area


def box_iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise IoU of boxes a (n, 4) and b (m, 4), both xyxy."""
    a, b = np.asarray(a).reshape(-1, 4), np.asarray(b).reshape(-1, 4)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    inter = box_intersection(a, b)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    iou: FloatArray = np.where(union > 0, inter / np.maximum(union, 1e-9), 0).astype(np.float32)
    return iou


def box_overlap_of_smaller(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise intersection over the smaller box's area (0 where either box is empty)."""
    a, b = np.asarray(a).reshape(-1, 4), np.asarray(b).reshape(-1, 4)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    inter = box_intersection(a, b)
    smaller = np.minimum(box_area(a)[:, None], box_area(b)[None, :])
    ratio: FloatArray = np.where(
        (smaller > 0) & (inter > 0), inter / np.maximum(smaller, 1e-9), 0
    ).astype(np.float32)
    return ratio


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
