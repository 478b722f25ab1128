"""Train the fire classifier on the non-test part of fire-cair; hyperparameters by cross-validation.

The deterministic hash split (`split_of`) keeps its test quarter out entirely: this script
never reads those images. On the other three quarters ("development") it chooses the L2
strengths, the mixes of the cell and tile cell models and the tile top-k by repeated 5-fold
cross-validation, sets the threshold that gives the best F1 on the pooled out-of-fold scores
among those whose false-positive rate stays <= --max-fpr, then fits on all of them.
Horizontally flipped copies augment every training fold. Needs scikit-learn (training only).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from rich.progress import track
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from cctwin.analytics.fire.detector import bundled_classifier, name_hash, split_of
from cctwin.analytics.fire.features import (
    EMBED_SIZE,
    TILE_GRID,
    TILES,
    BackboneEmbedder,
    cell_flame_fraction,
    extract_features,
)

FloatArray = npt.NDArray[np.float64]
SEEDS = (0, 1, 2)
GLOBAL_C = (0.003, 0.01, 0.03, 0.1, 0.3)
CELL_C = (0.001, 0.01)
MIXES = (0.0, 0.25, 0.5, 1.0, 2.0)
TOP_K = 3
TILE_C = (0.001, 0.01)
TILE_TOP_K = (3, 5, 10)
TILE_MIXES = (0.0, 0.25, 0.5, 1.0, 2.0)
# A fire image's cell counts as a fire cell when this much of it is flame-coloured; cells of
# fire images below it are left out (smoke, sky, the house), negatives come from normal images.
FIRE_CELL_FRACTION = 0.3
NEGATIVE_CELL_STRIDE = 3
# The tiled grid has four times the cells: a four times wider stride keeps the balance (and the
# fitting time) of the 10x10 grid.
NEGATIVE_TILE_STRIDE = 12


@dataclass(frozen=True)
class Development:
    """Features of the development images: index 0 original, 1 horizontally flipped."""

    names: list[str]
    labels: npt.NDArray[np.int64]
    global_vectors: list[FloatArray]
    cells: list[FloatArray]
    flame: list[FloatArray]
    tiles: list[npt.NDArray[np.float32]]
    tile_flame: list[FloatArray]


@dataclass(frozen=True)
class Linear:
    """A standardised linear model, ready to export."""

    weights: FloatArray
    bias: float
    mean: FloatArray
    std: FloatArray

    def logits(self, x: FloatArray) -> FloatArray:
        return np.asarray(((x - self.mean) / self.std) @ self.weights + self.bias)


def load(dataset: Path, embedder: BackboneEmbedder) -> Development:
    paths = [
        (folder, path, label)
        for folder, label in (("fire_images", 1), ("normal_images", 0))
        for path in sorted((dataset / folder).iterdir())
        if split_of(f"{folder}/{path.name}") != "test"
    ]
    names, labels = [], []
    vectors: list[list[FloatArray]] = [[], []]
    cells: list[list[FloatArray]] = [[], []]
    flame: list[list[FloatArray]] = [[], []]
    tiles: list[list[npt.NDArray[np.float32]]] = [[], []]
    tile_flame: list[list[FloatArray]] = [[], []]
    for folder, path, label in track(paths, description="features"):
        image = cv2.imread(str(path))
        if image is None:
            continue
        names.append(f"{folder}/{path.name}")
        labels.append(label)
        for flip in (0, 1):
            view = np.ascontiguousarray(image[:, ::-1] if flip else image, dtype=np.uint8)
            features = extract_features(view, embedder, tiles=True)
            vectors[flip].append(features.global_vector.astype(np.float64))
            cells[flip].append(features.cells.astype(np.float64))
            fraction = cell_flame_fraction(view, features.rows, features.cols)
            flame[flip].append(fraction.reshape(-1).astype(np.float64))
            assert features.tile_cells is not None
            tiles[flip].append(features.tile_cells)
            fraction = cell_flame_fraction(view, TILE_GRID, TILE_GRID, TILES * EMBED_SIZE)
            tile_flame[flip].append(fraction.reshape(-1).astype(np.float64))
    return Development(
        names,
        np.asarray(labels),
        [np.stack(v) for v in vectors],
        [np.stack(c) for c in cells],
        [np.stack(f) for f in flame],
        [np.stack(t) for t in tiles],
        [np.stack(f) for f in tile_flame],
    )


def fit_linear(x: FloatArray, y: npt.NDArray[np.int64], c: float) -> Linear:
    scaler = StandardScaler().fit(x)
    std = np.asarray(scaler.scale_)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit((x - scaler.mean_) / std, y)
    return Linear(model.coef_[0].copy(), float(model.intercept_[0]), scaler.mean_.copy(), std)


def fit_global(dev: Development, rows: npt.NDArray[np.int64], c: float) -> Linear:
    x = np.vstack([dev.global_vectors[0][rows], dev.global_vectors[1][rows]])
    return fit_linear(x, np.concatenate([dev.labels[rows]] * 2), c)


def cell_data(dev: Development, tiled: bool) -> tuple[list[Any], list[FloatArray], int]:
    """Cells, their flame fractions and the negative stride, of the 320 px or the tiled pass."""
    if tiled:
        return list(dev.tiles), dev.tile_flame, NEGATIVE_TILE_STRIDE
    return list(dev.cells), dev.flame, NEGATIVE_CELL_STRIDE


def fit_cells(
    dev: Development, rows: npt.NDArray[np.int64], c: float, tiled: bool = False
) -> Linear:
    cells, flame, stride = cell_data(dev, tiled)
    xs, ys = [], []
    for flip in (0, 1):
        for i in rows:
            if dev.labels[i]:
                chosen = flame[flip][i] >= FIRE_CELL_FRACTION
                xs.append(cells[flip][i][chosen])
                ys.append(np.ones(int(chosen.sum()), dtype=np.int64))
            else:
                xs.append(cells[flip][i][::stride])
                ys.append(np.zeros(len(xs[-1]), dtype=np.int64))
    return fit_linear(np.vstack(xs).astype(np.float64), np.concatenate(ys), c)


def cell_logits(model: Linear, cells: Any) -> FloatArray:
    """(images, cells) logits of a cell model."""
    flat = np.asarray(cells, dtype=np.float64).reshape(-1, cells.shape[-1])
    return model.logits(flat).reshape(cells.shape[0], -1)


def top_mean(logits: FloatArray, k: int) -> FloatArray:
    """Mean of each image's k highest cell logits."""
    return np.asarray(np.sort(logits, axis=1)[:, -k:].mean(axis=1))


def best_cut(
    scores: FloatArray, labels: npt.NDArray[np.int64], max_fpr: float
) -> tuple[float, float]:
    """(F1, logit cut) of the best-F1 threshold whose false-positive rate is <= max_fpr.

    The cut sits halfway between the lowest score taken as fire and the next one below it, so
    a score equal to a training one is not on the edge.
    """
    order = np.argsort(-scores, kind="stable")
    ranked, truth = scores[order], labels[order]
    tp, fp = np.cumsum(truth == 1), np.cumsum(truth == 0)
    positives, negatives = int((labels == 1).sum()), int((labels == 0).sum())
    f1 = 2 * tp / (tp + fp + positives)
    # Only cut between distinct scores, and never past the allowed false-positive rate.
    allowed = (fp <= max_fpr * negatives) & np.append(ranked[1:] < ranked[:-1], True)
    if not allowed.any():
        return 0.0, float(ranked[0]) + 1.0
    best = int(np.argmax(np.where(allowed, f1, -1.0)))
    below = ranked[best + 1] if best + 1 < len(ranked) else ranked[best] - 1.0
    return float(f1[best]), float((ranked[best] + below) / 2)


def folds_of(dev: Development, seed: int) -> list[tuple[npt.NDArray[np.int64], ...]]:
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return [tuple(f) for f in folds.split(dev.global_vectors[0], dev.labels)]


def out_of_fold_global(dev: Development, c: float) -> list[FloatArray]:
    """Per seed: out-of-fold whole-image logits."""
    results = []
    for seed in SEEDS:
        glob = np.zeros(len(dev.labels))
        for train, held in folds_of(dev, seed):
            glob[held] = fit_global(dev, train, c).logits(dev.global_vectors[0][held])
        results.append(glob)
    return results


def out_of_fold_cells(dev: Development, c: float, tiled: bool) -> list[FloatArray]:
    """Per seed: (images, cells) out-of-fold cell logits of the 320 px or the tiled pass."""
    cells = cell_data(dev, tiled)[0][0]
    results = []
    for seed in SEEDS:
        logits = np.zeros(cells.shape[:2])
        for train, held in folds_of(dev, seed):
            logits[held] = cell_logits(fit_cells(dev, train, c, tiled), cells[held])
        results.append(logits)
    return results


def summary(scores: list[FloatArray], labels: npt.NDArray[np.int64], max_fpr: float) -> str:
    auc = np.mean([roc_auc_score(labels, s) for s in scores])
    f1 = np.mean([best_cut(s, labels, max_fpr)[0] for s in scores])
    return f"AUC {auc:.3f}, best F1 at FPR <= {max_fpr} {f1:.3f}"


@dataclass(frozen=True)
class Choice:
    """Hyperparameters chosen by cross-validation, and their out-of-fold scores per seed."""

    global_c: float
    cell_c: float
    cell_mix: float
    tile_c: float
    tile_top_k: int
    tile_mix: float
    scores: list[FloatArray]
    # Per seed, the out-of-fold image logit without the tiled pass, and the tile cells' top
    # mean: the cascade's gate is chosen from them.
    partial: list[FloatArray]
    tile_top: list[FloatArray]


def choose(dev: Development, max_fpr: float) -> Choice:
    y = dev.labels

    def key(scores: list[FloatArray]) -> tuple[float, float]:
        f1 = float(np.mean([best_cut(s, y, max_fpr)[0] for s in scores]))
        return f1, float(np.mean([roc_auc_score(y, s) for s in scores]))

    def auc(scores: list[FloatArray]) -> float:
        return float(np.mean([roc_auc_score(y, s) for s in scores]))

    global_runs = {c: out_of_fold_global(dev, c) for c in GLOBAL_C}
    for c, scores in global_runs.items():
        print(f"global C={c}: {summary(scores, y, max_fpr)}")
    global_c = max(GLOBAL_C, key=lambda c: key(global_runs[c]))
    glob = global_runs[global_c]
    # Each cell model is chosen alone by AUC (its top cells as the image score); the mixes
    # that combine them with the whole-image model are then chosen together by F1.
    cell_runs = {c: [top_mean(r, TOP_K) for r in out_of_fold_cells(dev, c, False)] for c in CELL_C}
    for c, scores in cell_runs.items():
        print(f"cells C={c}: {summary(scores, y, max_fpr)}")
    cell_c = max(CELL_C, key=lambda c: auc(cell_runs[c]))
    tile_logits = {c: out_of_fold_cells(dev, c, True) for c in TILE_C}
    tile_runs = {
        (c, k): [top_mean(r, k) for r in tile_logits[c]] for c in TILE_C for k in TILE_TOP_K
    }
    for (c, k), scores in tile_runs.items():
        print(f"tiles C={c} top {k}: {summary(scores, y, max_fpr)}")
    tile_c, tile_k = max(tile_runs, key=lambda ck: auc(tile_runs[ck]))
    cells, tiles = cell_runs[cell_c], tile_runs[(tile_c, tile_k)]
    mixed = {
        (m, t): [g + m * c + t * u for g, c, u in zip(glob, cells, tiles, strict=True)]
        for m in MIXES
        for t in TILE_MIXES
    }
    for (m, t), scores in mixed.items():
        print(f"cell mix {m}, tile mix {t}: {summary(scores, y, max_fpr)}")
    cell_mix, tile_mix = max(mixed, key=lambda mt: key(mixed[mt]))
    partial = [g + cell_mix * c for g, c in zip(glob, cells, strict=True)]
    return Choice(
        global_c,
        cell_c,
        cell_mix,
        tile_c,
        tile_k,
        tile_mix,
        mixed[(cell_mix, tile_mix)],
        partial,
        tiles,
    )


@dataclass(frozen=True)
class Cascade:
    """When the four tiled passes run: only for images whose one-pass logit reaches `gate`.

    Below the gate the image logit is the one-pass logit plus `tile_mix` times `floor`, the
    median tile term of the development normals. The gate sits GATE_MARGIN logits below the
    lowest out-of-fold one-pass logit of any development fire in any seed, so on development
    no fire is ever scored without its tiles.
    """

    gate: float
    floor: float
    passed_normals: float
    changed: int


GATE_MARGIN = 2.0


def cascade_of(choice: Choice, labels: npt.NDArray[np.int64], cut: float) -> Cascade:
    fire = labels == 1
    gate = min(float(p[fire].min()) for p in choice.partial) - GATE_MARGIN
    floor = float(np.median(np.concatenate([t[~fire] for t in choice.tile_top])))
    passed = float(np.mean([(p[~fire] >= gate).mean() for p in choice.partial]))
    # Images whose decision the cascade changes, summed over seeds (should be 0).
    changed = 0
    for p, t in zip(choice.partial, choice.tile_top, strict=True):
        full = p + choice.tile_mix * t >= cut
        gated = np.where(p >= gate, full, p + choice.tile_mix * floor >= cut)
        changed += int((full != gated).sum())
    return Cascade(gate, floor, passed, changed)


def threshold_logit(scores: list[FloatArray], labels: npt.NDArray[np.int64], fpr: float) -> float:
    """The best-F1 cut on the pooled out-of-fold scores whose false-positive rate is <= fpr."""
    pooled_labels = np.concatenate([labels] * len(scores))
    return best_cut(np.concatenate(scores), pooled_labels, fpr)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=Path("../shared/data/fire-cair"))
    parser.add_argument("--out", type=Path, default=bundled_classifier())
    parser.add_argument("--max-fpr", type=float, default=0.03)
    args = parser.parse_args()
    started = time.perf_counter()
    dev = load(args.dataset, BackboneEmbedder())
    print(f"development: {len(dev.labels)} images, {int(dev.labels.sum())} fire (test unread)")
    choice = choose(dev, args.max_fpr)
    scores = choice.scores
    cut = threshold_logit(scores, dev.labels, args.max_fpr)
    cascade = cascade_of(choice, dev.labels, cut)
    everything = np.arange(len(dev.labels))
    glob = fit_global(dev, everything, choice.global_c)
    cells = fit_cells(dev, everything, choice.cell_c)
    tiles = fit_cells(dev, everything, choice.tile_c, tiled=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out,
        weights=glob.weights.astype(np.float32),
        bias=np.float32(glob.bias),
        mean=glob.mean.astype(np.float32),
        std=glob.std.astype(np.float32),
        cell_weights=cells.weights.astype(np.float32),
        cell_bias=np.float32(cells.bias),
        cell_mean=cells.mean.astype(np.float32),
        cell_std=cells.std.astype(np.float32),
        cell_mix=np.float32(choice.cell_mix),
        top_k=np.int64(TOP_K),
        tile_weights=tiles.weights.astype(np.float32),
        tile_bias=np.float32(tiles.bias),
        tile_mean=tiles.mean.astype(np.float32),
        tile_std=tiles.std.astype(np.float32),
        tile_mix=np.float32(choice.tile_mix),
        tile_top_k=np.int64(choice.tile_top_k),
        tile_gate=np.float32(cascade.gate),
        tile_floor=np.float32(cascade.floor),
        threshold=np.float32(1.0 / (1.0 + np.exp(-cut))),
        training_hashes=np.asarray([name_hash(n) for n in dev.names]),
    )
    y = dev.labels
    for seed, s in zip(SEEDS, scores, strict=True):
        fired = s >= cut
        tp, fp = int((fired & (y == 1)).sum()), int((fired & (y == 0)).sum())
        fn = int((~fired & (y == 1)).sum())
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        print(
            f"dev out-of-fold seed {seed}: tp {tp} fp {fp} fn {fn} "
            f"P {precision:.3f} R {recall:.3f} F1 {f1:.3f} FPR {fp / max(1, (y == 0).sum()):.3f}"
        )
    print(
        f"chosen global C {choice.global_c}, cell C {choice.cell_c}, cell mix {choice.cell_mix}, "
        f"tile C {choice.tile_c}, tile top {choice.tile_top_k}, tile mix {choice.tile_mix}, "
        f"threshold logit {cut:.3f}; tiles run at one-pass logit >= {cascade.gate:.2f} "
        f"({cascade.passed_normals:.1%} of development normals), floor {cascade.floor:.2f}, "
        f"decisions changed by the cascade {cascade.changed}; "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
