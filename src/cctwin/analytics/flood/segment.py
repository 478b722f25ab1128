"""Water segmentation: per-8x8-tile colour/texture/position features and logistic regression."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

TILE = 8
WORK_WIDTH = 320
DEFAULT_MODEL = Path(__file__).parent / "models" / "water-classifier.npz"


def tile_features(image_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Features per tile, shape (rows, cols, n): HSV/Lab means+stds, gradient energy, row position."""
    h, w = image_bgr.shape[:2]
    # A fixed working width keeps tile statistics comparable across resolutions.
    nh = max(TILE, round(h * WORK_WIDTH / w / TILE) * TILE)
    img = cv2.resize(image_bgr, (WORK_WIDTH, nh), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.float64)
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).astype(np.float64)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float64)
    gx = cv2.Sobel(gray, cv2.CV_64F, 1, 0)
    gy = cv2.Sobel(gray, cv2.CV_64F, 0, 1)
    chans = np.concatenate([hsv, lab, (gx * gx + gy * gy)[..., None] ** 0.5], axis=2) / 255.0
    r, c = nh // TILE, WORK_WIDTH // TILE
    t = chans.reshape(r, TILE, c, TILE, -1)
    mean = t.mean(axis=(1, 3))
    std = t.std(axis=(1, 3))
    ypos = np.broadcast_to(((np.arange(r) + 0.5) / r)[:, None, None], (r, c, 1))
    local = np.concatenate([mean, std], axis=2).astype(np.float32)
    # Neighbourhood context: water is a large smooth region, single tiles are ambiguous.
    wide = cv2.blur(local, (5, 5)).astype(np.float64)
    return np.concatenate([mean, std, wide, ypos], axis=2)


class WaterSegmenter:
    """Loads trained weights and returns a binary water mask (255 = water) at image size."""

    def __init__(self, model: Path = DEFAULT_MODEL, threshold: float = 0.5) -> None:
        data = np.load(model)
        self.mu = data["mu"]
        self.sigma = data["sigma"]
        self.weights = data["w"]
        self.threshold = threshold

    def scores(self, image_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """Water probability per tile."""
        f = (tile_features(image_bgr) - self.mu) / self.sigma
        z = f @ self.weights[:-1] + self.weights[-1]
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def __call__(self, image_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        h, w = image_bgr.shape[:2]
        p = cv2.resize(
            self.scores(image_bgr).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR
        )
        return np.where(p >= self.threshold, 255, 0).astype(np.uint8)
