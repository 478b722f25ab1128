"""Hybrid crowd count: detector while people are separable, CSRNet density when they are not."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.crowd.density import DensityCounter
from cctwin.analytics.crowd.faces import FaceDetector, FaceFusion, count_people
from cctwin.analytics.crowd.people import PersonBoxes, PersonCounter

CountMethod = Literal["detector", "density"]


@dataclass(frozen=True, slots=True)
class SwitchRule:
    """When a region counts as too dense for the detector.

    CSRNet never outputs zero: every output cell (8x8 input pixels) carries a background
    floor of about 0.005-0.016, so a sparse street scene integrates to 50-190 "people". We
    subtract `cell_floor` per cell before comparing. The region is dense when the corrected
    estimate is at least `min_count` people and either (a) at least `ratio` times the
    detector's boxes with at least `min_per_cell` people per output cell on average (so a
    large sparse zone does not switch on its floor), or (b) at least `absolute` people, a
    crowd past what the detector separates however many boxes it finds; and (c) CSRNet
    still sees at least `min_kept_at_half` of that estimate with the input halved.

    (c) is what tells a crowd from a texture that looks like one. Crowd-street's IMG_18 (a
    rubble-stone wall beside 12 people) reads 144 corrected at full size and 15 at half;
    real crowds of 50 or more keep 0.24-1.04 of theirs (fewer pixels per head lose some).
    Without (c) the per-cell level had to keep a packed group in a wide view on the
    detector path: a
    1024x768 view with 270 people in one part holds 0.013 people per cell and the detector
    found 18 (the held-out failure of issue 16 was such a photo: 72 boxes, CSRNet 265).

    All five were chosen by leave-one-fold-out cross-validation over 167 development scenes
    in five folds (`python -m cctwin.evaluate.switch_cv`: crowd-street's development half
    and mosaics of it, ShanghaiTech A's two photos and 72 crops of them, and 66 wide views:
    crops of those photos in PETS 2009 frames of 768-1280 px), with CSRNet's estimate
    jittered -20 %/+25 % so no threshold touches a scene.
    """

    cell_floor: float = 0.01
    ratio: float = 2.5
    min_count: float = 30.0
    min_per_cell: float = 0.005
    absolute: float = 225.0
    min_kept_at_half: float = 0.2


@dataclass(frozen=True, slots=True)
class DistantCrowdRule:
    """Where CSRNet may add people the detector cannot separate in a sparse scene.

    The detector misses people half hidden behind others in a distant group (crowd-street's
    IMG_17: 39 people, 24 boxes). CSRNet, trained on small heads, counts such groups well
    but invents people on textures and large faces. So it is trusted only in patches around
    the detector's distant people: boxes shorter than `max_height` of the image height, grown
    by `margin` of their height, and only when there are at least `min_boxes` of them. In
    those patches the count is the floor-corrected density when it exceeds the boxes there.
    Chosen on crowd-street's development half (dev MAE 2.33 without, 1.73 with; results
    within 0.2 for heights 80-130 px of 768 and margins 0.25-0.5).
    """

    max_height: float = 0.13
    margin: float = 0.25
    min_boxes: int = 3


@dataclass(frozen=True, slots=True)
class DensityScale:
    """How much the int8 CSRNet's sum is scaled on the density path, by the input's size.

    The model undercounts packed crowds, and more so on smaller inputs (less context around
    each head): ShanghaiTech A's photos (about 11,000-12,000 output cells) by 1/1.16-1/1.20,
    crops of them (640-6,000 cells) by 1/1.1-1/2.1. The factor is `at_reference` at
    `reference_cells` output cells and changes by `per_doubling` for each doubling of the
    map's size, with the size held inside the development range [`min_cells`, `max_cells`]
    so it never extrapolates. Chosen by leave-one-fold-out cross-validation over the
    switch's 167 development scenes (`python -m cctwin.evaluate.density_scale_cv`); with the
    wide views added the size term steepened from -0.075 (1.23 at 12,288 cells) to -0.125
    (1.15 there), so a full-size photo is scaled less.
    """

    at_reference: float = 1.35
    per_doubling: float = -0.125
    reference_cells: int = 4096
    min_cells: int = 640
    max_cells: int = 12288

    def factor(self, map_cells: int) -> float:
        """The multiplier for a density map of `map_cells` cells (the whole input's map)."""
        cells = min(max(map_cells, self.min_cells), self.max_cells)
        return self.at_reference + self.per_doubling * math.log2(cells / self.reference_cells)


NO_SCALE = DensityScale(at_reference=1.0, per_doubling=0.0)


def floor_corrected_count(
    density_map: npt.NDArray[np.float32],
    cell_floor: float,
    mask: npt.NDArray[np.bool_] | None = None,
) -> tuple[float, int]:
    """Sum of density above the per-cell floor, and the number of cells summed."""
    values = density_map if mask is None else density_map[mask]
    return float(np.clip(values - cell_floor, 0.0, None).sum()), int(values.size)


def choose_method(
    detector_count: int,
    corrected_density_count: float,
    cells: int,
    rule: SwitchRule,
    corrected_at_half: float | None = None,
) -> CountMethod:
    """`density` when CSRNet sees a packed crowd that the detector cannot separate.

    `corrected_at_half` is the floor-corrected estimate with the input halved; None means
    not measured (yet), and the decision is then the full-size one alone.
    """
    if cells <= 0:
        return "detector"
    relative = (
        corrected_density_count >= rule.ratio * max(detector_count, 1)
        and corrected_density_count / cells >= rule.min_per_cell
    )
    # A crowd this large is past what the detector separates, however many boxes it finds;
    # the per-cell level is not asked here, so a large crowd in a wide view still switches.
    dense = corrected_density_count >= rule.min_count and (
        relative or corrected_density_count >= rule.absolute
    )
    if dense and corrected_at_half is not None:
        dense = corrected_at_half >= rule.min_kept_at_half * corrected_density_count
    return "density" if dense else "detector"


def half_side(image_shape: tuple[int, ...], max_side: int) -> int:
    """The long side of the confirming run: half of what the full-size run used."""
    return max(8, min(max_side, max(image_shape[:2])) // 2)


def distant_patches(
    xyxy: npt.NDArray[np.float32],
    image_shape: tuple[int, int],
    map_shape: tuple[int, int],
    rule: DistantCrowdRule,
) -> tuple[npt.NDArray[np.bool_], int]:
    """Density cells around the distant people's boxes, and how many such boxes there are."""
    height, width = image_shape
    rows, cols = map_shape
    patches = np.zeros(map_shape, dtype=bool)
    heights = xyxy[:, 3] - xyxy[:, 1]
    distant = xyxy[heights < rule.max_height * height]
    if len(distant) < rule.min_boxes:
        return patches, len(distant)
    grow = (distant[:, 3] - distant[:, 1]) * rule.margin
    sx, sy = cols / width, rows / height
    for (x0, y0, x1, y1), g in zip(distant.tolist(), grow.tolist(), strict=True):
        # A cell belongs to a patch when its centre is inside the grown box.
        c0 = int(np.clip(np.ceil((x0 - g) * sx - 0.5), 0, cols))
        c1 = int(np.clip(np.floor((x1 + g) * sx - 0.5) + 1, 0, cols))
        r0 = int(np.clip(np.ceil((y0 - g) * sy - 0.5), 0, rows))
        r1 = int(np.clip(np.floor((y1 + g) * sy - 0.5) + 1, 0, rows))
        patches[r0:r1, c0:c1] = True
    return patches, len(distant)


def distant_crowd_fill(
    density_map: npt.NDArray[np.float32],
    xyxy: npt.NDArray[np.float32],
    image_shape: tuple[int, int],
    cell_floor: float,
    rule: DistantCrowdRule,
    cell_mask: npt.NDArray[np.bool_] | None = None,
) -> float:
    """People CSRNet sees in distant groups beyond the detector's boxes there (>= 0)."""
    patches, distant = distant_patches(xyxy, image_shape, density_map.shape[:2], rule)
    if cell_mask is not None:
        patches &= cell_mask
    if not patches.any():
        return 0.0
    corrected, _ = floor_corrected_count(density_map, cell_floor, patches)
    return max(0.0, corrected - distant)


@dataclass(frozen=True, slots=True)
class HybridResult:
    """The count, which method made it, and both estimates for inspection.

    On the detector path `count` is `people + density_fill`: `people` merges the person boxes
    with the faces found (`FaceFusion`; the boxes alone without a face model), the fill being
    people CSRNet finds in distant groups beyond the boxes there (see `DistantCrowdRule`).
    On the density path `count` is `density_count` (CSRNet's raw sum) times `DensityScale`'s
    factor for the input's size.
    """

    count: float
    method: CountMethod
    detector_count: int
    density_count: float
    density_map: npt.NDArray[np.float32]
    boxes: PersonBoxes
    density_fill: float = 0.0
    faces: int = 0
    people: int = 0
    # What the switch compared, so a wrong choice on new data can be traced to its condition.
    density_corrected: float = 0.0
    density_cells: int = 0
    # The same with the input halved; None when the full-size switch already said detector.
    density_corrected_at_half: float | None = None


class HybridCounter:
    """Counts an image (or a ROI of it) with the detector or CSRNet, chosen per call."""

    def __init__(
        self,
        people: PersonCounter | None = None,
        density: DensityCounter | None = None,
        rule: SwitchRule | None = None,
        threads: int = 1,
        distant: DistantCrowdRule | None = None,
        faces: FaceDetector | None = None,
        fusion: FaceFusion | None = None,
        use_faces: bool = True,
        scale: DensityScale | None = None,
    ) -> None:
        self.people = people or PersonCounter(threads=threads)
        self.density = density or DensityCounter(threads=threads)
        self.rule = rule or SwitchRule()
        self.distant = distant or DistantCrowdRule()
        self.faces = (faces or FaceDetector(threads=threads)) if use_faces else None
        self.fusion = fusion or FaceFusion()
        self.scale = scale or DensityScale()

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
        faces = self._faces(image_bgr, roi_mask)
        estimate = self.density.count(image_bgr, roi_mask, max_side)
        cell_mask = _cells_of(roi_mask, estimate.density_map.shape)
        corrected, cells = floor_corrected_count(
            estimate.density_map, self.rule.cell_floor, cell_mask
        )
        # The switch compares CSRNet with the boxes, as it was set: faces of a packed crowd
        # are many and small, and must not keep it on the detector path.
        method = choose_method(len(boxes), corrected, cells, self.rule)
        at_half = None
        if method == "density":
            # A crowd persists when the input is halved; a texture CSRNet misreads does not.
            halved = self.density.count(image_bgr, roi_mask, half_side(image_bgr.shape, max_side))
            at_half = _corrected_in(halved.density_map, self.rule.cell_floor, roi_mask)
            method = choose_method(len(boxes), corrected, cells, self.rule, at_half)
        people = len(boxes) if faces is None else count_people(boxes, faces, self.fusion)
        fill = 0.0
        if method == "density":
            # In dense scenes the raw CSRNet sum, scaled by the input's size, is what was
            # validated (ShanghaiTech A); the floor is negligible there, and removing it
            # would bias packed crowds low.
            count = estimate.count * self.scale.factor(estimate.density_map.size)
        else:
            fill = distant_crowd_fill(
                estimate.density_map,
                boxes.xyxy,
                (image_bgr.shape[0], image_bgr.shape[1]),
                self.rule.cell_floor,
                self.distant,
                cell_mask,
            )
            count = people + fill
        return HybridResult(
            count=count,
            method=method,
            detector_count=len(boxes),
            density_count=estimate.count,
            density_map=estimate.density_map,
            boxes=boxes,
            density_fill=fill,
            faces=0 if faces is None else len(faces),
            people=people,
            density_corrected=corrected,
            density_cells=cells,
            density_corrected_at_half=at_half,
        )

    def _faces(
        self, image_bgr: npt.NDArray[np.uint8], roi_mask: npt.NDArray[np.bool_] | None
    ) -> PersonBoxes | None:
        """Faces for the head count (None without a face model); in a ROI, by their centre."""
        if self.faces is None:
            return None
        faces = self.faces.detect(image_bgr, self.fusion.confidence)
        if roi_mask is None or not len(faces):
            return faces
        h, w = roi_mask.shape[:2]
        cx = ((faces.xyxy[:, 0] + faces.xyxy[:, 2]) / 2).astype(int).clip(0, w - 1)
        cy = ((faces.xyxy[:, 1] + faces.xyxy[:, 3]) / 2).astype(int).clip(0, h - 1)
        inside = roi_mask[cy, cx]
        return PersonBoxes(faces.xyxy[inside], faces.confidence[inside])


def _cells_of(
    roi_mask: npt.NDArray[np.bool_] | None, map_shape: tuple[int, ...]
) -> npt.NDArray[np.bool_] | None:
    """The ROI at the density map's size (None: the whole map)."""
    if roi_mask is None:
        return None
    small = cv2.resize(
        roi_mask.astype(np.uint8), (map_shape[1], map_shape[0]), interpolation=cv2.INTER_NEAREST
    )
    return np.asarray(small > 0)


def _corrected_in(
    density_map: npt.NDArray[np.float32],
    cell_floor: float,
    roi_mask: npt.NDArray[np.bool_] | None,
) -> float:
    """The floor-corrected sum inside the ROI (the whole map without one)."""
    return floor_corrected_count(density_map, cell_floor, _cells_of(roi_mask, density_map.shape))[0]
