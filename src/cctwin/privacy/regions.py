"""Which rectangles to hide: padded faces, the head of every person box, plate candidates,
and the cells of a crowd too dense for either."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class HeadRegion:
    """The head of a person box, as fractions of the box.

    The band starts `above` box heights over the top (detectors often cut the crown) and
    reaches `height` box heights down; it is `width` box widths wide, centred, but never
    narrower than `min_aspect` times its own height (a narrow box of a side-on walker still
    has a head as wide as tall). Chosen on crowd-street's development half; docs/security.md.
    """

    above: float = 0.1
    height: float = 0.25
    width: float = 0.8
    min_aspect: float = 0.8


def head_boxes(people: FloatArray, region: HeadRegion) -> FloatArray:
    """One head rectangle (xyxy) per person box."""
    people = np.asarray(people, dtype=np.float32).reshape(-1, 4)
    box_w = people[:, 2] - people[:, 0]
    box_h = people[:, 3] - people[:, 1]
    top = people[:, 1] - region.above * box_h
    bottom = people[:, 1] + region.height * box_h
    band = bottom - top
    half = np.maximum(region.width * box_w, region.min_aspect * band) / 2
    centre = (people[:, 0] + people[:, 2]) / 2
    return np.stack([centre - half, top, centre + half, bottom], axis=1).astype(np.float32)


def pad_boxes(boxes: FloatArray, pad: float) -> FloatArray:
    """Boxes grown by `pad` of their own size on every side (hair, ears, a chin turned away)."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    dw = (boxes[:, 2] - boxes[:, 0]) * pad
    dh = (boxes[:, 3] - boxes[:, 1]) * pad
    return np.stack(
        [boxes[:, 0] - dw, boxes[:, 1] - dh, boxes[:, 2] + dw, boxes[:, 3] + dh], axis=1
    ).astype(np.float32)


def clip_boxes(boxes: FloatArray, width: int, height: int) -> npt.NDArray[np.int32]:
    """Integer pixel rectangles inside the image; empty ones removed."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    x0 = np.clip(np.floor(boxes[:, 0]), 0, width).astype(np.int32)
    y0 = np.clip(np.floor(boxes[:, 1]), 0, height).astype(np.int32)
    x1 = np.clip(np.ceil(boxes[:, 2]), 0, width).astype(np.int32)
    y1 = np.clip(np.ceil(boxes[:, 3]), 0, height).astype(np.int32)
    rects = np.stack([x0, y0, x1, y1], axis=1)
    return rects[(x1 > x0) & (y1 > y0)]


def coverage_mask(rects: npt.NDArray[np.int32], width: int, height: int) -> npt.NDArray[np.bool_]:
    """The union of rectangles as a boolean image."""
    mask = np.zeros((height, width), dtype=np.bool_)
    for x0, y0, x1, y1 in rects.tolist():
        mask[y0:y1, x0:x1] = True
    return mask


@dataclass(frozen=True, slots=True)
class CrowdArea:
    """Where heads are too small and packed for faces or person boxes (a plaza seen from
    afar): the crowd density model's cells of at least `cell_density` persons, smoothed over
    3x3 cells and grown by one, masked whole. The model sees the image with its long side at
    `max_side` (a cell is 8x8 input pixels, so the threshold goes with the size: 0.05 at 1024
    is 0.2 at 512). Only for images with at least `min_people` person boxes, where the
    model's cost is worth it; a camera reuses its dense cells for `reuse_s` (crowds change
    slowly, the model costs about 180 ms at 512 on one core). Chosen on the development halves
    of crowd-street and ShanghaiTech A; docs/security.md."""

    enabled: bool = True
    min_people: int = 10
    cell_density: float = 0.2
    max_side: int = 512
    reuse_s: float = 2.0


def dense_rects(
    density_map: FloatArray, width: int, height: int, cell_density: float
) -> npt.NDArray[np.int32]:
    """The dense cells of a density map as image rectangles, one per run of cells in a row."""
    rows, cols = density_map.shape[:2]
    smoothed = cv2.blur(np.asarray(density_map, dtype=np.float32), (3, 3))
    cells = cv2.dilate((smoothed >= cell_density).astype(np.uint8), np.ones((3, 3), np.uint8))
    rects: list[tuple[int, int, int, int]] = []
    for row in range(rows):
        line = np.concatenate([[0], cells[row], [0]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(line))
        y0, y1 = row * height // rows, (row + 1) * height // rows
        for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            rects.append((start * width // cols, y0, stop * width // cols, y1))
    return np.asarray(rects, dtype=np.int32).reshape(-1, 4)
