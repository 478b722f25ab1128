"""Licence-plate candidates: text-like regions in the lower part of each vehicle box.

No permitted plate detector installs cleanly here (MODELS.md: the only one is trained with AGPL
tooling), so plates are found the classical way: a plate is a compact, wide rectangle of dense
vertical strokes. Candidates are over-inclusive on purpose: masking a grille costs little,
missing a plate leaks a person. Not measured: no plate ground truth is available.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class PlateSearch:
    """Where and what to look for inside a vehicle box.

    Plates sit in the lower `lower` of the box; a candidate is `min_aspect`-`max_aspect` wide
    per height and at most `max_width` of the box wide. Boxes smaller than `min_box_px` wide
    carry unreadable plates and are skipped. With no candidate, `fallback` masks a centred
    band at the bottom of the box (a plate too blurred to find may still be read by a person).
    """

    lower: float = 0.6
    min_aspect: float = 1.5
    max_aspect: float = 7.0
    max_width: float = 0.6
    min_box_px: int = 40
    fallback: bool = True


def plate_boxes(
    image_bgr: npt.NDArray[np.uint8], vehicles: FloatArray, search: PlateSearch
) -> FloatArray:
    """Plate rectangles (xyxy, image pixels) for every vehicle box."""
    found: list[FloatArray] = []
    height, width = image_bgr.shape[:2]
    for x0, y0, x1, y1 in np.asarray(vehicles, dtype=np.float32).reshape(-1, 4).tolist():
        box_w = x1 - x0
        if box_w < search.min_box_px:
            continue
        top = y0 + (1.0 - search.lower) * (y1 - y0)
        left, upper = max(0, int(x0)), max(0, int(top))
        right, lower = min(width, int(x1)), min(height, int(y1))
        if right - left < 8 or lower - upper < 8:
            continue
        boxes = _text_like(image_bgr[upper:lower, left:right], search, box_w)
        if len(boxes):
            found.append(boxes + np.array([left, upper, left, upper], dtype=np.float32))
        elif search.fallback:
            band_h = 0.25 * (y1 - y0) * search.lower
            centre = (x0 + x1) / 2
            found.append(
                np.array([[centre - box_w / 4, y1 - band_h, centre + box_w / 4, y1]], np.float32)
            )
    return np.concatenate(found).astype(np.float32) if found else np.zeros((0, 4), np.float32)


def _text_like(crop: npt.NDArray[np.uint8], search: PlateSearch, box_w: float) -> FloatArray:
    """Rectangles of dense vertical edges (characters) joined horizontally."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    edges = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3))
    edges_u8 = cv2.convertScaleAbs(edges)
    _, binary = cv2.threshold(edges_u8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Join the strokes of neighbouring characters into one blob per plate.
    kernel_w = max(3, int(crop.shape[1] * 0.06))
    closed = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, np.ones((3, kernel_w), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if h < 4 or w > search.max_width * box_w:
            continue
        if (
            search.min_aspect <= w / h <= search.max_aspect
            and cv2.contourArea(contour) > 0.4 * w * h
        ):
            # A margin: the plate's frame and the last character's edge are identifying too.
            boxes.append([x - 0.1 * w, y - 0.2 * h, x + 1.1 * w, y + 1.2 * h])
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
