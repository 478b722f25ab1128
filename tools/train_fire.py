"""Train the fire classifier on the non-test part of fire-cair; hyperparameters by cross-validation.

The deterministic hash split (`split_of`) keeps its test quarter out entirely: this script
never reads those images. On the other three quarters ("development") it chooses the L2
strengths and the cell-model mix by repeated 5-fold cross-validation, sets the threshold that
gives the best F1 on the pooled out-of-fold scores among those whose false-positive rate
stays <= --max-fpr, then fits on all of them.
Horizontally flipped copies augment every training fold. Needs scikit-learn (training only).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.progress import track
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from cctwin.analytics.fire.detector import bundled_classifier, name_hash, split_of
from cctwin.analytics.fire.features import BackboneEmbedder, cell_flame_fraction, extract_features

FloatArray = npt.NDArray[np.float64]
SEEDS = (0, 1, 2)
GLOBAL_C = (0.003, 0.01, 0.03, 0.1, 0.3)
CELL_C = (0.001, 0.01)
MIXES = (0.0, 0.25, 0.5, 1.0, 2.0)
TOP_K = 3
# A fire image's cell counts as a fire cell when this much of it is flame-coloured; cells of
# fire images below it are left out (smoke, sky, the house), negatives come from normal images.
FIRE_CELL_FRACTION = 0.3
NEGATIVE_CELL_STRIDE = 3


@dataclass(frozen=True)
class Development:
    """Features of the development images: index 0 original, 1 horizontally flipped."""

    names: list[str]
    labels: npt.NDArray[np.int64]
    global_vectors: list[FloatArray]
    cells: list[FloatArray]
    flame: list[FloatArray]


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
    for folder, path, label in track(paths, description="features"):
        image = cv2.imread(str(path))
        if image is None:
            continue
        names.append(f"{folder}/{path.name}")
        labels.append(label)
        for flip in (0, 1):
            view = np.ascontiguousarray(image[:, ::-1] if flip else image, dtype=np.uint8)
            features = extract_features(view, embedder)
            vectors[flip].append(features.global_vector.astype(np.float64))
            cells[flip].append(features.cells.astype(np.float64))
            fraction = cell_flame_fraction(view, features.rows, features.cols)
            flame[flip].append(fraction.reshape(-1).astype(np.float64))
    return Development(
        names,
        np.asarray(labels),
        [np.stack(v) for v in vectors],
        [np.stack(c) for c in cells],
        [np.stack(f) for f in flame],
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


def fit_cells(dev: Development, rows: npt.NDArray[np.int64], c: float) -> Linear:
    xs, ys = [], []
    for flip in (0, 1):
        for i in rows:
            if dev.labels[i]:
                chosen = dev.flame[flip][i] >= FIRE_CELL_FRACTION
                xs.append(dev.cells[flip][i][chosen])
                ys.append(np.ones(int(chosen.sum()), dtype=np.int64))
            else:
                xs.append(dev.cells[flip][i][::NEGATIVE_CELL_STRIDE])
                ys.append(np.zeros(len(xs[-1]), dtype=np.int64))
    return fit_linear(np.vstack(xs), np.concatenate(ys), c)


def top_cells(model: Linear, cells: FloatArray) -> FloatArray:
    logits = model.logits(cells.reshape(-1, cells.shape[-1])).reshape(cells.shape[0], -1)
    return np.asarray(np.sort(logits, axis=1)[:, -TOP_K:].mean(axis=1))


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


def out_of_fold(dev: Development, global_c: float, cell_c: float | None) -> list[FloatArray]:
    """Per seed: out-of-fold global logits, and (if cell_c) out-of-fold top-cell logits."""
    results = []
    for seed in SEEDS:
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        glob, cell = np.zeros(len(dev.labels)), np.zeros(len(dev.labels))
        for train, held in folds.split(dev.global_vectors[0], dev.labels):
            glob[held] = fit_global(dev, train, global_c).logits(dev.global_vectors[0][held])
            if cell_c is not None:
                cell[held] = top_cells(fit_cells(dev, train, cell_c), dev.cells[0][held])
        results.append(np.stack([glob, cell]))
    return results


def summary(scores: list[FloatArray], labels: npt.NDArray[np.int64], max_fpr: float) -> str:
    auc = np.mean([roc_auc_score(labels, s) for s in scores])
    f1 = np.mean([best_cut(s, labels, max_fpr)[0] for s in scores])
    return f"AUC {auc:.3f}, best F1 at FPR <= {max_fpr} {f1:.3f}"


def choose(dev: Development, max_fpr: float) -> tuple[float, float, float, list[FloatArray]]:
    y = dev.labels

    def key(scores: list[FloatArray]) -> tuple[float, float]:
        f1 = float(np.mean([best_cut(s, y, max_fpr)[0] for s in scores]))
        return f1, float(np.mean([roc_auc_score(y, s) for s in scores]))

    global_runs = {c: [run[0] for run in out_of_fold(dev, c, None)] for c in GLOBAL_C}
    for c, scores in global_runs.items():
        print(f"global C={c}: {summary(scores, y, max_fpr)}")
    global_c = max(GLOBAL_C, key=lambda c: key(global_runs[c]))
    cell_runs = {c: out_of_fold(dev, global_c, c) for c in CELL_C}
    for c, runs in cell_runs.items():
        print(f"cells C={c}: {summary([run[1] for run in runs], y, max_fpr)}")
    cell_c = max(CELL_C, key=lambda c: np.mean([roc_auc_score(y, r[1]) for r in cell_runs[c]]))
    mixed = {m: [r[0] + m * r[1] for r in cell_runs[cell_c]] for m in MIXES}
    for m, scores in mixed.items():
        print(f"mix {m}: {summary(scores, y, max_fpr)}")
    mix = max(MIXES, key=lambda m: key(mixed[m]))
    return global_c, cell_c, mix, mixed[mix]


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
    global_c, cell_c, mix, scores = choose(dev, args.max_fpr)
    cut = threshold_logit(scores, dev.labels, args.max_fpr)
    everything = np.arange(len(dev.labels))
    glob, cells = fit_global(dev, everything, global_c), fit_cells(dev, everything, cell_c)
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
        cell_mix=np.float32(mix),
        top_k=np.int64(TOP_K),
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
        f"chosen global C {global_c}, cell C {cell_c}, mix {mix}, threshold logit {cut:.3f}; "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
