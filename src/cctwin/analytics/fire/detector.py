"""Still-image fire scoring (trained classifier) and temporally confirmed video findings."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.fire.features import (
    CLASSICAL_NAMES,
    TILE_GRID,
    BackboneEmbedder,
    ImageFeatures,
    UInt8Array,
    extract_features,
    flame_mask,
    smoke_score,
    tile_cells,
)
from cctwin.analytics.fire.smoke import SmokeTracker

Split = Literal["train", "validation", "test"]


def split_of(relative_name: str) -> Split:
    """Deterministic 50/25/25 split from the SHA-256 of `class_dir/file_name`."""
    bucket = int(hashlib.sha256(relative_name.encode()).hexdigest()[:8], 16) % 4
    return "train" if bucket < 2 else "validation" if bucket == 2 else "test"


def name_hash(relative_name: str) -> str:
    """Short hash stored in the model for each training/validation image."""
    return hashlib.sha256(relative_name.encode()).hexdigest()[:16]


def bundled_classifier() -> Path:
    """Path of the bundled fire classifier weights."""
    return Path(
        str(resources.files("cctwin.analytics.fire").joinpath("models/fire-classifier.npz"))
    )


@dataclass(frozen=True)
class FireScore:
    """Fire probability, unvalidated smoke cue and the flame-coloured region, if any."""

    fire: float
    smoke: float
    region_xyxy: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class FireFinding:
    """A temporally confirmed fire or smoke finding for one camera."""

    kind: Literal["buildingFire", "smoke"]
    confidence: float
    region_xyxy: tuple[int, int, int, int] | None
    occurred_at: datetime


# Flame colour is judged at this width: a 720p or 1080p frame's full-resolution mask costs
# 10-30 ms per scored frame and says nothing more about where, or whether, flames flicker.
FLAME_WIDTH = 320


def _small_flame_mask(image_bgr: UInt8Array) -> npt.NDArray[np.bool_]:
    height, width = image_bgr.shape[:2]
    if width <= FLAME_WIDTH:
        return flame_mask(image_bgr)
    size = (FLAME_WIDTH, max(1, round(height * FLAME_WIDTH / width)))
    small = np.asarray(cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA), np.uint8)
    return flame_mask(small)


def flame_region(image_bgr: UInt8Array) -> tuple[int, int, int, int] | None:
    """Bounding box of flame-coloured pixels, or None when there are too few to matter."""
    mask = _small_flame_mask(image_bgr)
    ys, xs = np.nonzero(mask)
    if len(xs) < 0.001 * mask.shape[0] * mask.shape[1]:
        return None
    sx, sy = image_bgr.shape[1] / mask.shape[1], image_bgr.shape[0] / mask.shape[0]
    return (
        int(xs.min() * sx),
        int(ys.min() * sy),
        min(image_bgr.shape[1], int(np.ceil((xs.max() + 1) * sx))),
        min(image_bgr.shape[0], int(np.ceil((ys.max() + 1) * sy))),
    )


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


class FireDetector:
    """Fire classifier: a global logistic regression plus per-cell ones over EfficientNet features.

    The image logit is the global logit plus `cell_mix` times the mean of the `top_k` highest
    cell logits, so a fire filling a few backbone cells counts even in a wide view. Models
    with a tile cell model (`tile_mix` > 0) add `tile_mix` times the mean of its `tile_top_k`
    highest logits over the 2x2-tiled pass, which sees small flames at twice the resolution.

    The tiled pass costs four backbone runs, so it is a cascade: it runs only when the one-pass
    logit reaches `tile_gate`, set by training well below every development fire. Below the
    gate the tile term is `tile_floor`, the development normals' median; such images stay far
    below the threshold, and an ordinary street scene costs one backbone pass as before.
    """

    def __init__(self, model: Path | None = None, threads: int = 1) -> None:
        data = np.load(model or bundled_classifier())
        self.weights = np.asarray(data["weights"], dtype=np.float32)
        self.bias = float(data["bias"])
        self.mean = np.asarray(data["mean"], dtype=np.float32)
        self.std = np.asarray(data["std"], dtype=np.float32)
        self.cell_weights = np.asarray(data["cell_weights"], dtype=np.float32)
        self.cell_bias = float(data["cell_bias"])
        self.cell_mean = np.asarray(data["cell_mean"], dtype=np.float32)
        self.cell_std = np.asarray(data["cell_std"], dtype=np.float32)
        self.cell_mix = float(data["cell_mix"])
        self.top_k = int(data["top_k"])
        self.threshold = float(data["threshold"])
        self.training_hashes: frozenset[str] = frozenset(str(h) for h in data["training_hashes"])
        # Older models have no tile cell model; they score from the single 320 px pass.
        self.tile_mix = float(data["tile_mix"]) if "tile_mix" in data else 0.0
        if self.tile_mix:
            self.tile_weights = np.asarray(data["tile_weights"], dtype=np.float32)
            self.tile_bias = float(data["tile_bias"])
            self.tile_mean = np.asarray(data["tile_mean"], dtype=np.float32)
            self.tile_std = np.asarray(data["tile_std"], dtype=np.float32)
            self.tile_top_k = int(data["tile_top_k"])
            # Models trained before the cascade run the tiles on every image.
            self.tile_gate = float(data["tile_gate"]) if "tile_gate" in data else -np.inf
            self.tile_floor = float(data["tile_floor"]) if "tile_floor" in data else 0.0
        self.embedder = BackboneEmbedder(threads=threads)

    def global_logit(self, global_vector: npt.NDArray[np.float32]) -> float:
        """Logit of the whole-image model."""
        return float(((global_vector - self.mean) / self.std) @ self.weights) + self.bias

    def cell_logits(self, cells: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Logit of the cell model for every backbone cell."""
        logits = ((cells - self.cell_mean) / self.cell_std) @ self.cell_weights + self.cell_bias
        return np.asarray(logits, dtype=np.float32)

    def tile_logits(self, tile_cells: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Logit of the tile cell model for every cell of the tiled pass."""
        logits = ((tile_cells - self.tile_mean) / self.tile_std) @ self.tile_weights
        return np.asarray(logits + self.tile_bias, dtype=np.float32)

    def one_pass_logit(
        self, features: ImageFeatures, cell_logits: npt.NDArray[np.float32] | None = None
    ) -> float:
        """The whole-image and 320 px cell terms: the image logit of a model without tiles."""
        cells = self.cell_logits(features.cells) if cell_logits is None else cell_logits
        top = np.sort(cells)[-self.top_k :]
        return self.global_logit(features.global_vector) + self.cell_mix * float(top.mean())

    def needs_tiles(self, one_pass_logit: float) -> bool:
        """Whether the cascade runs the tiled pass for an image with this one-pass logit."""
        return bool(self.tile_mix) and one_pass_logit >= self.tile_gate

    def logit(
        self,
        features: ImageFeatures,
        cell_logits: npt.NDArray[np.float32] | None = None,
        tile_logits: npt.NDArray[np.float32] | None = None,
    ) -> float:
        """Combined image logit; `fire` is its sigmoid. Pass cell or tile logits if known."""
        logit = self.one_pass_logit(features, cell_logits)
        if not self.tile_mix:
            return logit
        if not self.needs_tiles(logit):
            return logit + self.tile_mix * self.tile_floor
        if tile_logits is None:
            if features.tile_cells is None:
                raise ValueError("this image needs the tiled pass: extract with tiles=True")
            tile_logits = self.tile_logits(features.tile_cells)
        return logit + self.tile_mix * float(np.sort(tile_logits)[-self.tile_top_k :].mean())

    def score(self, image_bgr: UInt8Array) -> FireScore:
        """Score a still BGR image."""
        features = extract_features(image_bgr, self.embedder)
        cells = self.cell_logits(features.cells)
        tiles = None
        if self.needs_tiles(self.one_pass_logit(features, cells)):
            tiles = self.tile_logits(tile_cells(image_bgr, self.embedder))
            # The tiled grid is twice as fine, so it places the region more tightly.
            region = _hot_cells_region(tiles, TILE_GRID, TILE_GRID, image_bgr.shape)
        else:
            region = _hot_cells_region(cells, features.rows, features.cols, image_bgr.shape)
        return FireScore(
            fire=_sigmoid(self.logit(features, cells, tiles)),
            # The global vector opens with the classical cues: no second pass for smoke.
            smoke=smoke_score(image_bgr, features.global_vector[: len(CLASSICAL_NAMES)]),
            region_xyxy=region or flame_region(image_bgr),
        )


def _hot_cells_region(
    logits: npt.NDArray[np.float32], rows: int, cols: int, shape: tuple[int, ...]
) -> tuple[int, int, int, int] | None:
    """Image box around the cells the cell model calls fire (logit >= 0), if any."""
    ys, xs = np.nonzero(logits.reshape(rows, cols) >= 0.0)
    if len(xs) == 0:
        return None
    height, width = shape[0], shape[1]
    return (
        int(xs.min()) * width // cols,
        int(ys.min()) * height // rows,
        -(-(int(xs.max()) + 1) * width // cols),
        -(-(int(ys.max()) + 1) * height // rows),
    )


FLICKER_GRID = (64, 36)


def _coarse_mask(image_bgr: UInt8Array) -> npt.NDArray[np.float32]:
    """Flame mask on a coarse grid, so masks from frames of any size can be compared."""
    mask = _small_flame_mask(image_bgr).astype(np.float32)
    return np.asarray(cv2.resize(mask, FLICKER_GRID, interpolation=cv2.INTER_AREA), np.float32)


def _flicker(
    masks: deque[npt.NDArray[np.float32]],
    region: tuple[int, int, int, int] | None,
    width: int,
    height: int,
) -> float:
    """Mean per-cell temporal variance of the flame mask inside the region (0 if no region)."""
    if region is None or len(masks) < 2:
        return 0.0
    gx, gy = FLICKER_GRID
    x1, y1 = region[0] * gx // width, region[1] * gy // height
    x2, y2 = max(x1 + 1, -(-region[2] * gx // width)), max(y1 + 1, -(-region[3] * gy // height))
    stack = np.stack(list(masks))[:, y1:y2, x1:x2]
    return float(stack.var(axis=0).mean())


class StillScorer(Protocol):
    """What the video analyzer needs: a decision threshold and a still-image `score`."""

    threshold: float

    def score(self, image_bgr: UInt8Array) -> FireScore: ...


class FireAnalyzer:
    """Per-camera video confirmation.

    Fire: k of the last n still scores above threshold, and flicker in the flame region.
    Smoke: a low-saturation, low-texture region that keeps growing against a running
    background over the last n analysed frames (`SmokeTracker`; unvalidated on real footage).
    """

    def __init__(
        self,
        scorer: StillScorer,
        every: int = 5,
        k: int = 3,
        n: int = 5,
        smoke_threshold: float = 0.5,
        min_flicker: float = 0.02,
        smoke_min_area: float = 0.01,
        smoke_growth: float = 1.5,
    ) -> None:
        self.scorer = scorer
        self.every, self.k, self.n = every, k, n
        self.smoke_threshold = smoke_threshold
        self.min_flicker = min_flicker
        self.smoke_min_area = smoke_min_area
        self.smoke_growth = smoke_growth
        self._frames: dict[str, int] = {}
        self._fire: dict[str, deque[bool]] = {}
        self._flame: dict[str, deque[npt.NDArray[np.float32]]] = {}
        self._smoke: dict[str, SmokeTracker] = {}
        self._smoke_hist: dict[str, deque[bool]] = {}

    def update(
        self,
        camera_id: str,
        image_bgr: UInt8Array,
        occurred_at: datetime,
        objects_xyxy: npt.NDArray[np.float32] | None = None,
    ) -> list[FireFinding]:
        """Feed one frame (and its tracked object boxes, which cannot be smoke); returns
        findings only when confirmation is met on an analysed frame."""
        index = self._frames.get(camera_id, 0)
        self._frames[camera_id] = index + 1
        if index % self.every:
            return []
        score = self.scorer.score(image_bgr)
        fire_hist = self._fire.setdefault(camera_id, deque(maxlen=self.n))
        flame_hist = self._flame.setdefault(camera_id, deque(maxlen=self.n))
        fire_hist.append(score.fire >= self.scorer.threshold)
        flame_hist.append(_coarse_mask(image_bgr))
        findings: list[FireFinding] = []
        # Real flames flicker; a static red sign or sunset keeps the same flame-coloured pixels.
        flicker = _flicker(flame_hist, score.region_xyxy, image_bgr.shape[1], image_bgr.shape[0])
        if sum(fire_hist) >= self.k and flicker >= self.min_flicker:
            findings.append(FireFinding("buildingFire", score.fire, score.region_xyxy, occurred_at))
        tracker = self._smoke.get(camera_id)
        if tracker is None:
            tracker = SmokeTracker(self.n, min_area=self.smoke_min_area, growth=self.smoke_growth)
            self._smoke[camera_id] = tracker
        smoke = tracker.update(image_bgr, objects_xyxy)
        smoke_hist = self._smoke_hist.setdefault(camera_id, deque(maxlen=self.n))
        smoke_hist.append(smoke.spreading and smoke.confidence >= self.smoke_threshold)
        # Like flames, smoke must keep spreading over k of the last n scored frames: a group
        # of people walking through makes one-off "spreading" regions, a plume does not stop.
        if smoke_hist[-1] and sum(smoke_hist) >= self.k:
            findings.append(FireFinding("smoke", smoke.confidence, smoke.region_xyxy, occurred_at))
        return findings
