"""Smoke as a spreading, low-contrast, grey region against a running background (unvalidated)."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.fire.features import UInt8Array

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SmokeEvidence:
    """The grey veil on one analysed frame and whether it has been spreading."""

    spreading: bool
    confidence: float
    area_fraction: float
    region_xyxy: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class _Planes:
    grey: FloatArray
    saturation: FloatArray
    texture: FloatArray


def _planes(image_bgr: UInt8Array, width: int) -> _Planes:
    height = max(1, round(width * image_bgr.shape[0] / image_bgr.shape[1]))
    small = cv2.resize(image_bgr, (width, height), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    saturation = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[..., 1].astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    texture = cv2.blur(np.abs(gx) + np.abs(gy), (5, 5))
    return _Planes(grey, saturation, np.asarray(texture, np.float32))


class SmokeTracker:
    """One camera's smoke cue: growth of a veiled grey region over the last analysed frames.

    A pixel is smoke-like when it is unsaturated, differs only mildly from the background
    (smoke is translucent; a solid object differs strongly) and has lost texture (smoke blurs
    what is behind it; a person or car adds edges). The cue fires when the largest such
    region keeps growing. Never validated on real footage: there is no labelled smoke data.
    """

    def __init__(
        self,
        history: int = 5,
        grid_width: int = 160,
        min_area: float = 0.01,
        growth: float = 1.5,
        learning_rate: float = 0.05,
        warmup: int = 5,
        object_margin: float = 0.1,
        object_memory: int = 10,
        object_learning_rate: float = 0.3,
    ) -> None:
        """`warmup`: frames after the first that only build the background, which is then
        their per-pixel median (people walking through are gone from it). `object_margin`: how much tracked
        object boxes are grown. Where an object was within the last `object_memory` frames the
        ground it uncovers differs from a background that learned the object, so those pixels
        are never smoke and are learned at `object_learning_rate` until the ghost has healed."""
        self.grid_width = grid_width
        self.min_area = min_area
        self.growth = growth
        self.learning_rate = learning_rate
        self._areas: deque[float] = deque(maxlen=history)
        self._boxes: deque[tuple[int, int, int, int] | None] = deque(maxlen=history)
        self.warmup = warmup
        self.object_margin = object_margin
        self.object_memory = object_memory
        self.object_learning_rate = object_learning_rate
        # Analysed frames since an object last covered each grid cell.
        self._since_object: npt.NDArray[np.int32] | None = None
        self._background: _Planes | None = None
        self._source_shape: tuple[int, ...] = ()
        self._seen = 0
        self._warmup_planes: list[_Planes] = []

    def update(
        self, image_bgr: UInt8Array, objects_xyxy: FloatArray | None = None
    ) -> SmokeEvidence:
        """Feed one analysed frame and the boxes of the objects tracked in it (pixels).

        The first frame (or a new frame size) starts the background; it becomes the median of
        that frame and the next `warmup` ones, which report nothing. People and vehicles are solid, not smoke, however grey:
        their boxes are never part of a smoke region.
        """
        planes = _planes(image_bgr, self.grid_width)
        if self._background is None or image_bgr.shape != self._source_shape:
            self._background, self._source_shape = planes, image_bgr.shape
            self._areas.clear()
            self._boxes.clear()
            self._seen = 0
            self._warmup_planes = [planes]
            self._since_object = np.full(planes.grey.shape, self.object_memory, np.int32)
            self._mark_objects(objects_xyxy, image_bgr.shape)
            return SmokeEvidence(False, 0.0, 0.0, None)
        self._mark_objects(objects_xyxy, image_bgr.shape)
        assert self._since_object is not None
        if self._seen < self.warmup:
            self._seen += 1
            self._warmup_planes.append(planes)
            if self._seen == self.warmup:
                self._background = _median(self._warmup_planes)
                self._warmup_planes = []
            return SmokeEvidence(False, 0.0, 0.0, None)
        near_objects = self._since_object < self.object_memory
        candidate = self._candidate(planes, self._background)
        candidate[near_objects] = 0
        self._learn(planes, candidate, near_objects)
        area, box = _largest_region(candidate)
        self._areas.append(area)
        self._boxes.append(box)
        spreading, confidence = self._spreading()
        region = None if box is None else _to_image(box, planes.grey.shape, image_bgr.shape)
        return SmokeEvidence(spreading, confidence, area, region)

    def _candidate(self, planes: _Planes, background: _Planes) -> npt.NDArray[np.uint8]:
        # Dusk, clouds and auto-exposure change the whole frame: only local change counts, and
        # texture is compared at the frame's new overall brightness (gradients scale with it).
        diff = planes.grey - background.grey
        change = np.abs(diff - float(np.median(diff)))
        gain = float(np.median(planes.grey) + 1.0) / float(np.median(background.grey) + 1.0)
        veiled = planes.texture <= 0.7 * background.texture * min(max(gain, 0.2), 5.0) + 2.0
        mask = (planes.saturation < 50) & (change >= 6) & (change <= 90) & veiled
        opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        return np.asarray(opened, np.uint8)

    def _mark_objects(self, boxes: FloatArray | None, image_shape: tuple[int, ...]) -> None:
        assert self._since_object is not None
        self._since_object = np.minimum(self._since_object + 1, self.object_memory)
        if boxes is not None and len(boxes):
            _fill_boxes(self._since_object, boxes, image_shape, self.object_margin, 0)

    def _learn(
        self,
        planes: _Planes,
        candidate: npt.NDArray[np.uint8],
        near_objects: npt.NDArray[np.bool_],
    ) -> None:
        # Smoke pixels are learned ten times slower, so a slow plume is not absorbed while
        # it spreads; ground that objects just uncovered heals fast; everything else follows
        # lighting changes at the normal rate.
        assert self._background is not None
        rate = np.where(candidate > 0, self.learning_rate / 10, self.learning_rate)
        rate = np.where(near_objects, self.object_learning_rate, rate).astype(np.float32)

        def blend(old: FloatArray, new: FloatArray) -> FloatArray:
            return np.asarray(old * (1 - rate) + new * rate, np.float32)

        self._background = _Planes(
            blend(self._background.grey, planes.grey),
            blend(self._background.saturation, planes.saturation),
            blend(self._background.texture, planes.texture),
        )

    def _anchored(self, containment: float = 0.7) -> bool:
        """Each earlier region of the window lies mostly inside the next one."""
        boxes = list(self._boxes)
        return all(
            _contained(before, after) >= containment
            for before, after in itertools.pairwise(boxes)
            if before is not None
        )

    def _spreading(self) -> tuple[bool, float]:
        areas = list(self._areas)
        if len(areas) < 3 or areas[-1] < self.min_area:
            return False, 0.0
        before, after = np.asarray(areas[:-1]), np.asarray(areas[1:])
        # A step counts only if the region grew by 10 % and by a quarter of the minimum area:
        # a plume that appeared once and then creeps (background learning, noise) is not one.
        grew = (after >= 1.1 * before) & (after - before >= self.min_area / 4)
        ratio = areas[-1] / max(areas[0], self.min_area / 4)
        mostly_growing = grew.mean() >= 0.6
        # A plume grows from where it is; people walking through make regions that move.
        spreading = bool(mostly_growing and ratio >= self.growth and self._anchored())
        size_term = min(1.0, areas[-1] / 0.05)
        growth_term = min(1.0, max(0.0, ratio - 1.0) / (self.growth - 1.0))
        return spreading, float(0.5 * size_term + 0.5 * growth_term) if spreading else 0.0


def _contained(
    inner: tuple[int, int, int, int] | None, outer: tuple[int, int, int, int] | None
) -> float:
    """Fraction of the `inner` box that lies inside the `outer` box (0 when either is None)."""
    if inner is None or outer is None:
        return 0.0
    width = min(inner[2], outer[2]) - max(inner[0], outer[0])
    height = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = max(1, (inner[2] - inner[0]) * (inner[3] - inner[1]))
    return max(0, width) * max(0, height) / area


def _median(samples: list[_Planes]) -> _Planes:
    def median(planes: list[FloatArray]) -> FloatArray:
        return np.asarray(np.median(np.stack(planes), axis=0), dtype=np.float32)

    return _Planes(
        median([p.grey for p in samples]),
        median([p.saturation for p in samples]),
        median([p.texture for p in samples]),
    )


def _fill_boxes(
    grid: npt.NDArray[np.int32],
    boxes_xyxy: FloatArray,
    image_shape: tuple[int, ...],
    margin: float,
    value: int,
) -> None:
    """Set the grid cells under each image box, grown by `margin` of its size, to `value`."""
    sx, sy = grid.shape[1] / image_shape[1], grid.shape[0] / image_shape[0]
    for x1, y1, x2, y2 in np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4):
        pad_x, pad_y = margin * (x2 - x1), margin * (y2 - y1)
        left, top = max(0, int((x1 - pad_x) * sx)), max(0, int((y1 - pad_y) * sy))
        right, bottom = int(np.ceil((x2 + pad_x) * sx)), int(np.ceil((y2 + pad_y) * sy))
        grid[top:bottom, left:right] = value


def _largest_region(mask: npt.NDArray[np.uint8]) -> tuple[float, tuple[int, int, int, int] | None]:
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return 0.0, None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = (int(v) for v in stats[best])
    return area / mask.size, (x, y, x + w, y + h)


def _to_image(
    box: tuple[int, int, int, int], grid_shape: tuple[int, ...], image_shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    sx, sy = image_shape[1] / grid_shape[1], image_shape[0] / grid_shape[0]
    return (int(box[0] * sx), int(box[1] * sy), int(box[2] * sx), int(box[3] * sy))
