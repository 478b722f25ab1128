"""Classical colour cues and EfficientNet-Lite0 embeddings for fire and smoke."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.backbones import EfficientNetBackbone

FloatArray = npt.NDArray[np.float32]
UInt8Array = npt.NDArray[np.uint8]

# The stride-16, stride-32 and head maps of EfficientNet-Lite0 at 320 x 320 (320 beat 224 in
# cross-validation, AUC 0.995 vs 0.988); the stride-8 map is mostly edges and colour, which
# the classical cues already give.
EMBED_TENSORS = ("stride16", "stride32", "head")
EMBED_CHANNELS = (112, 320, 1280)
EMBEDDING_DIM = 2 * sum(EMBED_CHANNELS)
CELL_DIM = EMBED_CHANNELS[-1]
EMBED_SIZE = 320
EMBED_GRID = EMBED_SIZE // 32
# Tiled pass: the image squashed to TILES * EMBED_SIZE square and cut into TILES x TILES tiles,
# each run at EMBED_SIZE. A small flame gets four times the pixels per head cell; 2x2 tiles at
# 320 px beat one 640 px pass (whose cells see unfamiliar scale and context) and 2x2 tiles of
# 224 or 256 px in cross-validation (AUC about 0.999 vs 0.996-0.997; model card).
TILES = 2
TILE_GRID = TILES * EMBED_GRID
CLASSICAL_NAMES = (
    "flame_fraction",
    "hot_fraction",
    "mean_h",
    "mean_s",
    "mean_v",
    "std_s",
    "std_v",
    "skew_r",
    "smoke_fraction",
    "edge_density",
    "contrast",
)


def flame_mask(image_bgr: UInt8Array) -> npt.NDArray[np.bool_]:
    """Pixels that satisfy the classic RGB/YCbCr flame rules (R > G > B, R bright, Cr > Cb)."""
    b, g, r = (image_bgr[..., i].astype(np.int16) for i in range(3))
    ycrcb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YCrCb).astype(np.int16)
    y, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    mask: npt.NDArray[np.bool_] = (r > g) & (g > b) & (r > 180) & (y > cb) & (cr > cb + 20)
    return mask


def hot_mask(image_bgr: UInt8Array) -> npt.NDArray[np.bool_]:
    """Bright, saturated red-to-yellow pixels (hue 0-35 degrees in OpenCV's 0-180 scale)."""
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    mask: npt.NDArray[np.bool_] = (h <= 35) & (s >= 120) & (v >= 180)
    return mask


def smoke_mask(image_bgr: UInt8Array) -> npt.NDArray[np.bool_]:
    """Low-saturation, mid-grey pixels: the colour of smoke (and, alas, of fog and concrete)."""
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    s, v = hsv[..., 1], hsv[..., 2]
    mask: npt.NDArray[np.bool_] = (s < 40) & (v > 80) & (v < 220)
    return mask


def classical_features(image_bgr: UInt8Array) -> FloatArray:
    """Colour-rule fractions, HSV moments, smoke grey fraction and edge density (11 values)."""
    small = _shrink(image_bgr, 256)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV).astype(np.float32)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(gray, 100, 200)
    r = small[..., 2].astype(np.float32)
    r_std = float(r.std()) + 1e-6
    skew_r = float(((r - r.mean()) ** 3).mean()) / r_std**3
    values = [
        float(flame_mask(small).mean()),
        float(hot_mask(small).mean()),
        float(hsv[..., 0].mean()) / 180.0,
        float(hsv[..., 1].mean()) / 255.0,
        float(hsv[..., 2].mean()) / 255.0,
        float(hsv[..., 1].std()) / 255.0,
        float(hsv[..., 2].std()) / 255.0,
        skew_r,
        float(smoke_mask(small).mean()),
        float((edges > 0).mean()),
        float(gray.std()) / 255.0,
    ]
    return np.asarray(values, dtype=np.float32)


def smoke_score(image_bgr: UInt8Array, classical: FloatArray | None = None) -> float:
    """Heuristic 0-1 smoke cue: grey fraction weighted by edge loss. Unvalidated (no labels).

    `classical` is the image's `classical_features` when the caller already has them.
    """
    features = classical_features(image_bgr) if classical is None else classical
    grey = features[CLASSICAL_NAMES.index("smoke_fraction")]
    edges = features[CLASSICAL_NAMES.index("edge_density")]
    # Smoke veils texture, so a grey image with few edges is more smoke-like than grey concrete.
    return float(np.clip(grey * (1.0 - min(1.0, edges * 8.0)), 0.0, 1.0))


def _shrink(image_bgr: UInt8Array, longest: int) -> UInt8Array:
    height, width = image_bgr.shape[:2]
    scale = longest / max(height, width)
    if scale >= 1.0:
        return image_bgr
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


class BackboneEmbedder:
    """EfficientNet-Lite0 feature maps (ImageNet), for the whole image squashed to a square.

    An ImageNet classifier tells a sunset, a red room or a canyon from flames far better than
    the COCO detector's backbone did (cross-validated recall at FPR <= 0.03: 0.95 vs 0.81).
    """

    def __init__(self, model: Path | None = None, threads: int = 1) -> None:
        self.backbone = EfficientNetBackbone(threads=threads, model=model, tensors=EMBED_TENSORS)

    def feature_maps(self, image_bgr: UInt8Array) -> list[FloatArray]:
        """The stride-16, stride-32 and head maps of the image squashed to EMBED_SIZE."""
        resized = cv2.resize(image_bgr, (EMBED_SIZE, EMBED_SIZE), interpolation=cv2.INTER_AREA)
        return self.backbone.maps(np.asarray(resized, dtype=np.uint8))

    def embed(self, image_bgr: UInt8Array) -> FloatArray:
        """One EMBEDDING_DIM vector: each map pooled by mean and by max."""
        return _pooled(self.feature_maps(image_bgr))


def _pooled(maps: list[FloatArray]) -> FloatArray:
    parts = [f(m, axis=(1, 2)) for m in maps for f in (np.mean, np.max)]
    return np.asarray(np.concatenate(parts), dtype=np.float32)


@dataclass(frozen=True)
class ImageFeatures:
    """What the classifier reads from one image.

    `global_vector` is the classical cues, then the pooled backbone maps; `cells` holds one
    head vector per grid cell (row-major) so a small fire in a wide view is scored where it
    is instead of being averaged away. `tile_cells` (TILE_GRID squared head vectors of the
    tiled pass) is there only when asked for: it costs four more backbone passes.
    """

    global_vector: FloatArray
    cells: FloatArray
    rows: int
    cols: int
    tile_cells: FloatArray | None = None


def extract_features(
    image_bgr: UInt8Array, embedder: BackboneEmbedder, tiles: bool = False
) -> ImageFeatures:
    """Global vector and per-cell vectors from one backbone pass, plus the tiled cells if asked."""
    maps = embedder.feature_maps(image_bgr)
    head = maps[-1]
    channels, rows, cols = head.shape
    global_vector = np.concatenate([classical_features(image_bgr), _pooled(maps)])
    cells = np.ascontiguousarray(head.reshape(channels, rows * cols).T)
    return ImageFeatures(
        global_vector=global_vector.astype(np.float32),
        cells=cells,
        rows=rows,
        cols=cols,
        tile_cells=tile_cells(image_bgr, embedder) if tiles else None,
    )


def tile_cells(image_bgr: UInt8Array, embedder: BackboneEmbedder) -> FloatArray:
    """Head vectors of the TILES x TILES tiled pass on one TILE_GRID x TILE_GRID grid, row-major."""
    side = TILES * EMBED_SIZE
    big = np.asarray(cv2.resize(image_bgr, (side, side), interpolation=cv2.INTER_AREA), np.uint8)
    grid = np.empty((TILE_GRID, TILE_GRID, CELL_DIM), dtype=np.float32)
    for ty in range(TILES):
        for tx in range(TILES):
            y, x = ty * EMBED_SIZE, tx * EMBED_SIZE
            tile = np.ascontiguousarray(big[y : y + EMBED_SIZE, x : x + EMBED_SIZE])
            head = embedder.backbone.maps(tile)[-1]
            gy, gx = ty * EMBED_GRID, tx * EMBED_GRID
            grid[gy : gy + EMBED_GRID, gx : gx + EMBED_GRID] = head.transpose(1, 2, 0)
    return grid.reshape(TILE_GRID * TILE_GRID, CELL_DIM)


def cell_flame_fraction(
    image_bgr: UInt8Array, rows: int, cols: int, size: int = EMBED_SIZE
) -> FloatArray:
    """Fraction of flame- or hot-coloured pixels per backbone cell (training labels for cells).

    `size` is the square the image is squashed to first: TILES * EMBED_SIZE for tiled cells.
    """
    squashed = np.asarray(
        cv2.resize(image_bgr, (size, size), interpolation=cv2.INTER_AREA), np.uint8
    )
    mask = (flame_mask(squashed) | hot_mask(squashed)).astype(np.float32)
    return np.asarray(cv2.resize(mask, (cols, rows), interpolation=cv2.INTER_AREA), np.float32)
