"""Development scenes for the crowd counter's switch: real photos, crops and tiles, in folds."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.evaluate.counting import development_half, ground_truth_points
from cctwin.evaluate.inputs import list_images, read_image

# Crop sides as a share of the photo's sides, and crops per side at each scale (a grid of
# evenly spaced windows). Chosen a priori to span 0-1,500 people, not tuned. Crops keep the
# photo's pixel scale: enlarged 2x, CSRNet counted a third of the heads (780 true, 263
# counted), a failure of the enlargement, not of the switch.
CROP_SCALES = (0.25, 0.35, 0.5, 0.7)
CROPS_PER_SIDE = 3
STREET_FOLDS = 3
# Wide views: a ShanghaiTech crop of this share of the photo's sides (at its pixel scale)
# pasted into the far field of a PETS 2009 frame brought to each of these widths. Chosen a
# priori to make 60-800 people in 768-1280 px views, the case no single photo here shows: a
# packed group filling part of a wide CCTV view, the rest of it sparse.
WIDE_CROP_SCALES = (0.35, 0.5)
WIDE_WIDTHS = (768, 1024, 1280)
WIDE_MIN_PEOPLE = 60
# PETS frames with ground truth used as backgrounds (7-8 people each, spread over the 400).
PETS_FRAMES = (40, 120, 200, 280, 360)


@dataclass(frozen=True)
class Scene:
    """One development image with its true count; `fold` groups scenes that share a photo."""

    name: str
    fold: str
    kind: str
    image: npt.NDArray[np.uint8]
    count: int


def crops(
    image: npt.NDArray[np.uint8], points: npt.NDArray[np.float64]
) -> Iterator[tuple[str, npt.NDArray[np.uint8], int]]:
    """Grid windows at each scale, at the photo's pixel scale, with the head points inside."""
    h, w = image.shape[:2]
    for scale in CROP_SCALES:
        ch, cw = round(h * scale), round(w * scale)
        for iy in range(CROPS_PER_SIDE):
            for ix in range(CROPS_PER_SIDE):
                y0 = round((h - ch) * iy / max(CROPS_PER_SIDE - 1, 1))
                x0 = round((w - cw) * ix / max(CROPS_PER_SIDE - 1, 1))
                inside = (
                    (points[:, 0] >= x0)
                    & (points[:, 0] < x0 + cw)
                    & (points[:, 1] >= y0)
                    & (points[:, 1] < y0 + ch)
                )
                window = image[y0 : y0 + ch, x0 : x0 + cw]
                yield f"crop{scale:.2f}-{iy}{ix}", np.ascontiguousarray(window), int(inside.sum())


def tile(images: list[npt.NDArray[np.uint8]], side: int) -> npt.NDArray[np.uint8]:
    """A side x side mosaic of photos, each brought to 1/side of the first one's size: more
    people, each smaller, a denser scene than any single street photo."""
    h, w = images[0].shape[:2]
    cells = [
        np.asarray(cv2.resize(i, (w // side, h // side), interpolation=cv2.INTER_AREA))
        for i in images
    ]
    rows = [np.concatenate(cells[r * side : (r + 1) * side], axis=1) for r in range(side)]
    return np.asarray(np.concatenate(rows, axis=0), np.uint8)


def _labelled(dataset: Path) -> list[tuple[Path, npt.NDArray[np.uint8], npt.NDArray[np.float64]]]:
    out = []
    for path in list_images(dataset / "images"):
        image = read_image(path)
        if image is not None:
            out.append((path, image, ground_truth_points(dataset, path.stem)))
    return out


def dense_scenes(dataset: Path) -> list[Scene]:
    """Each ShanghaiTech photo and its crops, one fold per photo."""
    scenes = []
    for path, image, points in _labelled(dataset):
        fold = f"dense-{path.stem}"
        scenes.append(Scene(path.name, fold, "photo", image, len(points)))
        for label, window, count in crops(image, points):
            scenes.append(Scene(f"{path.stem}-{label}", fold, "crop", window, count))
    return scenes


def street_scenes(dataset: Path) -> list[Scene]:
    """The development half of a street set in STREET_FOLDS folds, plus tiles per fold.

    Two 2x2 and two 3x3 mosaics per fold (photos repeat mirrored in a 3x3 one, as a fold has
    five); they mix photos of one fold only, so no photo is seen by two folds.
    """
    development, _ = development_half(_labelled(dataset))
    scenes = []
    for k in range(STREET_FOLDS):
        members = development[k::STREET_FOLDS]
        fold = f"street-{k}"
        for path, image, points in members:
            scenes.append(Scene(path.name, fold, "photo", image, len(points)))
        if len(members) < 4:
            continue
        for side, shift in itertools.product((2, 3), range(2)):
            chosen = [members[(shift + j) % len(members)] for j in range(side * side)]
            # A repeated photo is mirrored, so the mosaic does not hold two identical cells.
            images = [
                i if j < len(members) else np.ascontiguousarray(i[:, ::-1])
                for j, (_, i, _) in enumerate(chosen)
            ]
            name = f"tile{side}x{side}-" + "+".join(p.stem for p, _, _ in chosen[: len(members)])
            count = sum(len(points) for _, _, points in chosen)
            scenes.append(Scene(name, fold, "tile", tile(images, side), count))
    return scenes


def pets_backgrounds(pets: Path) -> list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]]:
    """PETS 2009 S2.L1 frames (PETS_FRAMES) with each annotated person's head point.

    The head is taken a tenth of the way down the person's box.
    """
    truth = np.loadtxt(pets / "gt_frames_0001-0400.txt", delimiter=",", ndmin=2)
    capture = cv2.VideoCapture(str(pets / "video.avi"))
    out = []
    try:
        for index in range(1, max(PETS_FRAMES) + 1):
            ok, frame = capture.read()
            if not ok:
                break
            if index in PETS_FRAMES:
                rows = truth[truth[:, 0] == index]
                heads = np.c_[rows[:, 2] + rows[:, 4] / 2, rows[:, 3] + 0.1 * rows[:, 5]]
                out.append((np.asarray(frame, np.uint8), heads))
    finally:
        capture.release()
    return out


def paste(
    background: npt.NDArray[np.uint8],
    heads: npt.NDArray[np.float64],
    width: int,
    window: npt.NDArray[np.uint8],
    column: int,
) -> tuple[npt.NDArray[np.uint8], int] | None:
    """The background at `width` px with `window` in its top band (left, centre or right by
    `column` mod 3), and how many of the background's heads stay visible; None if too small."""
    scale = width / background.shape[1]
    height = round(background.shape[0] * scale)
    interpolation = cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA
    canvas = np.asarray(
        cv2.resize(background, (width, height), interpolation=interpolation), np.uint8
    ).copy()
    wh, ww = window.shape[:2]
    if wh > height or ww > width:
        return None
    x0 = (0, (width - ww) // 2, width - ww)[column % 3]
    canvas[:wh, x0 : x0 + ww] = window
    scaled = heads * scale
    covered = (scaled[:, 0] >= x0) & (scaled[:, 0] < x0 + ww) & (scaled[:, 1] < wh)
    return canvas, int((~covered).sum())


def wide_scenes(dense: Path, pets: Path) -> list[Scene]:
    """Crops of each dense photo pasted into wide PETS views, in that photo's fold."""
    backgrounds = pets_backgrounds(pets)
    if not backgrounds:
        return []
    scenes = []
    for path, image, points in _labelled(dense):
        fold = f"dense-{path.stem}"
        k = 0
        for label, window, count in crops(image, points):
            if float(label[4:8]) not in WIDE_CROP_SCALES or count < WIDE_MIN_PEOPLE:
                continue
            for width in WIDE_WIDTHS:
                background, heads = backgrounds[k % len(backgrounds)]
                k += 1
                made = paste(background, heads, width, window, k)
                if made is not None:
                    canvas, visible = made
                    name = f"wide{width}-{path.stem}-{label}"
                    scenes.append(Scene(name, fold, "wide", canvas, count + visible))
    return scenes
