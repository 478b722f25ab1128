"""Water segmentation: frozen backbone features per stride-8 cell, small head, guided filter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import get_args

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.backbones import STRIDE, BackboneName, FeatureBackbone, create_backbone

FloatArray = npt.NDArray[np.float32]
UInt8Array = npt.NDArray[np.uint8]

DEFAULT_MODEL = Path(__file__).parent / "models" / "water-classifier.npz"
INPUT_WIDTH = 416
# Refinement runs at a fixed width so the filter radius means the same at any resolution and
# the cost at 1080p stays that of 640 px.
REFINE_WIDTH = 640
# Context kept around an ROI's box, in network pixels: a cell's features see about this far.
REGION_MARGIN = 64
# (x1, y1, x2, y2), normalised to the image like every zone and ROI in the config.
Region = tuple[float, float, float, float]


def network_size(height: int, width: int, input_width: int = INPUT_WIDTH) -> tuple[int, int]:
    """(height, width) fed to the backbone: fixed width, aspect kept, both multiples of 32."""
    net_h = max(64, round(height * input_width / width / 32) * 32)
    return net_h, input_width


def guided_filter(guide: FloatArray, source: FloatArray, radius: int, eps: float) -> FloatArray:
    """He et al.'s grey-guide filter: snaps a smooth probability map to image edges."""
    size = (2 * radius + 1, 2 * radius + 1)
    mean_i = cv2.boxFilter(guide, -1, size)
    mean_p = cv2.boxFilter(source, -1, size)
    cov = cv2.boxFilter(guide * source, -1, size) - mean_i * mean_p
    var = cv2.boxFilter(guide * guide, -1, size) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    out = cv2.boxFilter(a, -1, size) * guide + cv2.boxFilter(b, -1, size)
    return np.asarray(out, dtype=np.float32)


def refine(cells: FloatArray, image_bgr: UInt8Array, radius: int, eps: float) -> FloatArray:
    """Cell probabilities to a per-pixel map at image size, guided-filtered when radius > 0."""
    height, width = image_bgr.shape[:2]
    if radius <= 0:
        return _resize(cells, width, height)
    ref_h = max(1, round(height * REFINE_WIDTH / width))
    small = cv2.resize(image_bgr, (REFINE_WIDTH, ref_h), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    refined = guided_filter(gray, _resize(cells, REFINE_WIDTH, ref_h), radius, eps)
    return _resize(refined, width, height)


def _resize(values: FloatArray, width: int, height: int) -> FloatArray:
    out = cv2.resize(values, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.float32)


def _backbone_name(recorded: str) -> BackboneName:
    return next((name for name in get_args(BackboneName) if name == recorded), "nanodet")


class WaterSegmenter:
    """Binary water mask (255 = water) at image size from the bundled backbone and head."""

    def __init__(
        self,
        model: Path = DEFAULT_MODEL,
        threshold: float | None = None,
        threads: int = 1,
        backbone: FeatureBackbone | None = None,
    ) -> None:
        data = np.load(model)
        self.mu = np.asarray(data["mu"], dtype=np.float32)
        self.sigma = np.asarray(data["sigma"], dtype=np.float32)
        # One head per training seed, stacked on a leading axis; their probabilities are
        # averaged. Older files hold a single head without that axis.
        self.weights = np.asarray(data["w"], dtype=np.float32).reshape(-1, data["w"].shape[-1])
        self.bias = np.asarray(data["b"], dtype=np.float32).reshape(-1)
        # A hidden ReLU layer (w1, b1) in front of w, b when the heads were trained as MLPs;
        # without one each head is a logistic regression.
        self.hidden_weights = (
            np.asarray(data["w1"], dtype=np.float32).reshape(-1, *data["w1"].shape[-2:])
            if "w1" in data.files
            else None
        )
        self.hidden_bias = (
            np.asarray(data["b1"], dtype=np.float32).reshape(-1, data["b1"].shape[-1])
            if "b1" in data.files
            else None
        )
        self.input_width = int(data["input_width"])
        self.flip_average = bool(data["flip_average"])
        self.guided_radius = int(data["guided_radius"])
        self.guided_eps = float(data["guided_eps"])
        # The trained threshold was chosen by cross-validation on the training images only.
        self.threshold = float(data["threshold"]) if threshold is None else threshold
        # Heads trained before the region check keep every region (levels 0).
        self.min_region_mean = float(data.get("min_region_mean", 0.0))
        self.min_region_area = float(data.get("min_region_area", 0.0))
        # Heads trained before the backbone was recorded used NanoDet-g.
        name = _backbone_name(str(data.get("backbone", "nanodet")))
        self.backbone = backbone or create_backbone(name, threads=threads)
        if self.backbone.name != name:
            raise ValueError(f"{model}: head trained on {name}, given {self.backbone.name}")

    def _cell_logits(self, resized_bgr: UInt8Array) -> FloatArray:
        """Logits per head and cell: (heads, rows, cols)."""
        feats = self.backbone.features(resized_bgr)
        logits = head_logits(
            feats,
            self.mu,
            self.sigma,
            self.weights,
            self.bias,
            self.hidden_weights,
            self.hidden_bias,
        )
        return logits.reshape(-1, *feats.shape[1:])

    def cell_probabilities(self, image_bgr: UInt8Array, region: Region | None = None) -> FloatArray:
        """Water probability per stride-8 cell of the network input.

        With a `region`, only its box (plus REGION_MARGIN of context) goes through the
        backbone, at the scale the whole image would have; cells outside it are 0.
        """
        height, width = image_bgr.shape[:2]
        net_h, net_w = network_size(height, width, input_width=self.input_width)
        resized = np.asarray(
            cv2.resize(image_bgr, (net_w, net_h), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        x1, y1, x2, y2 = _network_box(region, net_w, net_h)
        crop = np.ascontiguousarray(resized[y1:y2, x1:x2])
        logits = self._cell_logits(crop)
        if self.flip_average:
            mirrored = np.ascontiguousarray(crop[:, ::-1])
            logits = 0.5 * (logits + self._cell_logits(mirrored)[:, :, ::-1])
        cells = np.zeros((net_h // STRIDE, net_w // STRIDE), dtype=np.float32)
        cells[y1 // STRIDE : y2 // STRIDE, x1 // STRIDE : x2 // STRIDE] = mean_probability(logits)
        return cells

    def probability(self, image_bgr: UInt8Array, region: Region | None = None) -> FloatArray:
        """Water probability per pixel, edge-aligned with a guided filter on the grey image."""
        cells = self.cell_probabilities(image_bgr, region)
        return refine(cells, image_bgr, self.guided_radius, self.guided_eps)

    def __call__(self, image_bgr: UInt8Array, region: Region | None = None) -> UInt8Array:
        probability = self.probability(image_bgr, region)
        mask = np.where(probability >= self.threshold, 255, 0).astype(np.uint8)
        return drop_weak_regions(mask, probability, self.min_region_mean, self.min_region_area)

    def within(self, roi: Sequence[tuple[float, float]]) -> Callable[[UInt8Array], UInt8Array]:
        """A segmenter for one ROI polygon: the backbone sees only the ROI's box and margin.

        A road ROI is often a third of the frame; segmenting the rest cost as much again.
        """
        xs, ys = [x for x, _ in roi], [y for _, y in roi]
        region = (min(xs), min(ys), max(xs), max(ys))
        return lambda image_bgr: self(image_bgr, region)


def head_logits(
    feats: FloatArray,
    mu: FloatArray,
    sigma: FloatArray,
    weights: FloatArray,
    bias: FloatArray,
    hidden_weights: FloatArray | None = None,
    hidden_bias: FloatArray | None = None,
) -> FloatArray:
    """Logits of every stacked head for every cell: features (C, ...) -> (heads, cells).

    weights (heads, inputs) and bias (heads); with hidden_weights (heads, C, hidden) and
    hidden_bias (heads, hidden) each head is ReLU(x W1 + b1) w + b, else x w + b.
    """
    x = (feats.reshape(feats.shape[0], -1).T - mu) / sigma
    if hidden_weights is not None and hidden_bias is not None:
        x = np.maximum(np.matmul(x, hidden_weights) + hidden_bias[:, None, :], 0.0)
        return np.asarray(np.matmul(x, weights[:, :, None])[..., 0] + bias[:, None], np.float32)
    return np.asarray(weights @ x.T + bias[:, None], dtype=np.float32)


def mean_probability(logits: FloatArray) -> FloatArray:
    """The heads' sigmoids averaged over the leading axis; clipped so exp cannot overflow."""
    probability = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
    return np.asarray(probability.mean(axis=0), dtype=np.float32)


def drop_weak_regions(
    mask: UInt8Array, probability: FloatArray, min_mean: float, min_area: float
) -> UInt8Array:
    """Clear connected water regions whose mean probability or share of the image is too low.

    False water on dry roads and walls comes as specks and weak patches, while a flood is one
    sizeable, confident sheet; the two levels are chosen by cross-validation in training.
    """
    if min_mean <= 0.0 and min_area <= 0.0:
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    sums = np.bincount(labels.ravel(), weights=probability.ravel(), minlength=count)
    keep = (sums / np.maximum(area, 1.0) >= min_mean) & (area / mask.size >= min_area)
    keep[0] = False
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _network_box(region: Region | None, net_w: int, net_h: int) -> tuple[int, int, int, int]:
    """The region's box on the network input, widened by the margin, on the 32-pixel grid."""
    if region is None:
        return 0, 0, net_w, net_h
    x1 = max(0, int((region[0] * net_w - REGION_MARGIN) // 32 * 32))
    y1 = max(0, int((region[1] * net_h - REGION_MARGIN) // 32 * 32))
    x2 = min(net_w, int(-(-(region[2] * net_w + REGION_MARGIN) // 32) * 32))
    y2 = min(net_h, int(-(-(region[3] * net_h + REGION_MARGIN) // 32) * 32))
    # A degenerate ROI still gets one 32-pixel block, so the backbone has an input.
    return x1, y1, max(x2, x1 + 32), max(y2, y1 + 32)
