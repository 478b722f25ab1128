"""Per-frame picture measures on a small grey image: sharpness, luma, texture, change, shift.

Every measure is cheap (a 320-pixel-wide grey image, one Laplacian, one block reshape, one
ORB pass) so the audit can run on a sampled frame per second next to the detector. Values
that depend on the scene (sharpness, texture) are judged against the camera's own reference
view, not against a universal number: a foggy park and a busy crossing differ more than a
sharp and a blurred view of either.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Grey = npt.NDArray[np.uint8]
BLOCK = 16
# A block is flat when it varies (std) by less than this share of the whole image's std:
# gain-invariant, so a dark but intact view keeps its texture while a hand, tape or a
# sprayed dome leaves blocks that vary by sensor noise only.
FLAT_SHARE_OF_STD = 0.06
# An image that varies by less than this (grey levels, std) has nothing to compare with:
# it is flat all over (a lens fully covered, a black stream).
NO_CONTRAST_STD = 3.0
ORB_FEATURES = 500


def to_grey(image: npt.NDArray[np.uint8], width: int) -> Grey:
    """The frame as a grey image `width` pixels wide (never enlarged)."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, source_width = grey.shape[:2]
    if source_width > width:
        size = (width, max(BLOCK, round(height * width / source_width)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(grey, dtype=np.uint8)


def sharpness(grey: Grey) -> float:
    """Variance of the Laplacian over the variance of the image: high for edges in focus, low
    for blur; dividing by the contrast makes a gain drop or haze alone not read as blur."""
    laplacian = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    return laplacian / (float(grey.var()) + 1.0)


def contrast(grey: Grey) -> float:
    """Standard deviation of the grey levels: haze and spray paint take it away."""
    return float(grey.std())


def luma(grey: Grey) -> float:
    """Mean grey level, 0-255."""
    return float(grey.mean())


def flat_share(grey: Grey) -> float:
    """Share of 16 px blocks without texture of their own against the image's contrast."""
    rows, cols = grey.shape[0] // BLOCK, grey.shape[1] // BLOCK
    if rows == 0 or cols == 0:
        return 0.0
    blocks = grey[: rows * BLOCK, : cols * BLOCK].astype(np.float32)
    overall = float(blocks.std())
    if overall < NO_CONTRAST_STD:
        return 1.0
    blocks = blocks.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3)
    std = blocks.reshape(rows, cols, BLOCK * BLOCK).std(axis=2)
    return float((std < FLAT_SHARE_OF_STD * overall).mean())


def change(previous: Grey | None, grey: Grey) -> float | None:
    """Mean absolute grey difference from the previous sample (None for the first one).

    A frozen stream repeats one decoded picture (difference 0, or a fraction of a level
    after re-encoding); a still scene from a live sensor still differs by its noise.
    """
    if previous is None or previous.shape != grey.shape:
        return None
    return float(cv2.absdiff(previous, grey).mean())


@dataclass(frozen=True)
class ViewFeatures:
    """ORB keypoints of a view: where they are (pixels) and their descriptors."""

    points: npt.NDArray[np.float32]
    descriptors: npt.NDArray[np.uint8] | None
    width: int
    height: int


def orb() -> cv2.ORB:
    """An ORB detector; one per auditor (OpenCV objects are not shared between threads)."""
    detector: cv2.ORB = cv2.ORB.create(nfeatures=ORB_FEATURES, fastThreshold=10)
    return detector


def features(grey: Grey, detector: cv2.ORB) -> ViewFeatures:
    """ORB features of a grey image."""
    keypoints, descriptors = detector.detectAndCompute(grey, None)
    points = np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2)
    codes = None if descriptors is None else np.asarray(descriptors, np.uint8)
    return ViewFeatures(points, codes, grey.shape[1], grey.shape[0])


@dataclass(frozen=True)
class Shift:
    """How far the view moved against the reference: corner displacement / width."""

    displacement: float
    inliers: int


def shift(reference: ViewFeatures, current: ViewFeatures, min_inliers: int) -> Shift | None:
    """Rigid (rotation, scale, translation) fit of current to reference features with RANSAC;
    None when too few matches agree to tell (a covered lens, a night scene)."""
    if reference.descriptors is None or current.descriptors is None:
        return None
    if len(reference.points) < min_inliers or len(current.points) < min_inliers:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
    matches = matcher.match(reference.descriptors, current.descriptors)
    if len(matches) < min_inliers:
        return None
    src = reference.points[[m.queryIdx for m in matches]]
    dst = current.points[[m.trainIdx for m in matches]]
    transform, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0
    )
    count = int(inliers.sum()) if inliers is not None else 0
    if transform is None or count < min_inliers:
        return None
    w, h = reference.width, reference.height
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], np.float64)
    moved = corners @ transform.T - corners[:, :2]
    displacement = float(np.linalg.norm(moved, axis=1).mean() / w)
    return Shift(displacement, count)


@dataclass(frozen=True)
class Measures:
    """Everything measured on one sampled frame."""

    sharpness: float
    contrast: float
    luma: float
    flat: float
    change: float | None
    view: ViewFeatures


def measure(grey: Grey, previous: Grey | None, detector: cv2.ORB) -> Measures:
    """All per-frame measures of one grey image."""
    return Measures(sharpness(grey), contrast(grey), luma(grey), flat_share(grey),
                    change(previous, grey), features(grey, detector))  # fmt: skip
