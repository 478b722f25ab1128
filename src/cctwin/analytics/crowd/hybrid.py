"""Hybrid crowd count: detector while people are separable, CSRNet density when they are not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.crowd.density import DensityCounter
from cctwin.analytics.crowd.people import PersonBoxes, PersonCounter

CountMethod = Literal["detector", "density"]


@dataclass(frozen=True, slots=True)
class SwitchRule:
    """When a region counts as too dense for the detector.

    CSRNet never outputs zero: every output cell (8x8 input pixels) carries a background
    floor of about 0.005-0.016, so a sparse street scene integrates to 50-190 "people". We
    subtract `cell_floor` per cell before comparing. The region is dense when the corrected
    estimate is at least `ratio` times the detector's count, at least `min_count` people,
    and at least `min_per_cell` people per output cell on average (so a large sparse zone
    does not switch just because its floor adds up). Set between the densest image of the
    crowd-street development half (0.0115 per cell, ratio 8.9) and packed crowds.
    """

    cell_floor: float = 0.01
    ratio: float = 4.0
    min_count: float = 30.0
    min_per_cell: float = 0.02


def floor_corrected_count(
    density_map: npt.NDArray[np.float32],
    cell_floor: float,
    mask: npt.NDArray[np.bool_] | None = None,
) -> tuple[float, int]:
    """Sum of density above the per-cell floor, and the number of cells summed."""
    values = density_map if mask is None else density_map[mask]
    return float(np.clip(values - cell_floor, 0.0, None).sum()), int(values.size)


def choose_method(
    detector_count: int, corrected_density_count: float, cells: int, rule: SwitchRule
) -> CountMethod:
    """`density` when CSRNet sees a packed crowd that the detector cannot separate."""
    if cells <= 0:
        return "detector"
    dense = (
        corrected_density_count >= rule.min_count
        and corrected_density_count >= rule.ratio * max(detector_count, 1)
        and corrected_density_count / cells >= rule.min_per_cell
    )
    return "density" if dense else "detector"


@dataclass(frozen=True, slots=True)
class HybridResult:
    """The count, which method made it, and both estimates for inspection."""

    count: float
    method: CountMethod
    detector_count: int
    density_count: float
    density_map: npt.NDArray[np.float32]
    boxes: PersonBoxes


class HybridCounter:
    """Counts an image (or a ROI of it) with the detector or CSRNet, chosen per call."""

    def __init__(
        self,
        people: PersonCounter | None = None,
        density: DensityCounter | None = None,
        rule: SwitchRule | None = None,
        threads: int = 1,
    ) -> None:
        self.people = people or PersonCounter(threads=threads)
        self.density = density or DensityCounter(threads=threads)
        self.rule = rule or SwitchRule()

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = None,
        max_side: int = 1024,
    ) -> HybridResult:
        """Count people; with roi_mask a person counts when the foot of their box is inside."""
        boxes = self.people.detect(image_bgr)
        if roi_mask is not None and len(boxes):
            feet_x = ((boxes.xyxy[:, 0] + boxes.xyxy[:, 2]) / 2).astype(int)
            feet_y = (boxes.xyxy[:, 3] - 1).astype(int)
            h, w = roi_mask.shape[:2]
            inside = roi_mask[feet_y.clip(0, h - 1), feet_x.clip(0, w - 1)]
            boxes = PersonBoxes(boxes.xyxy[inside], boxes.confidence[inside])
        estimate = self.density.count(image_bgr, roi_mask, max_side)
        cell_mask = None
        if roi_mask is not None:
            small = cv2.resize(
                roi_mask.astype(np.uint8),
                (estimate.density_map.shape[1], estimate.density_map.shape[0]),
                interpolation=cv2.INTER_NEAREST,
            )
            cell_mask = small > 0
        corrected, cells = floor_corrected_count(
            estimate.density_map, self.rule.cell_floor, cell_mask
        )
        method = choose_method(len(boxes), corrected, cells, self.rule)
        # In dense scenes the raw CSRNet sum is what was validated (ShanghaiTech A); the
        # floor is negligible there, and removing it would bias packed crowds low.
        count = estimate.count if method == "density" else float(len(boxes))
        return HybridResult(
            count=count,
            method=method,
            detector_count=len(boxes),
            density_count=estimate.count,
            density_map=estimate.density_map,
            boxes=boxes,
        )
