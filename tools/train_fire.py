"""Train the fire classifier on fire-cair with a deterministic hash split; writes the .npz."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.fire.detector import bundled_classifier, name_hash, split_of
from cctwin.analytics.fire.features import BackboneEmbedder, image_features

FloatArray = npt.NDArray[np.float32]


def load(dataset: Path, embedder: BackboneEmbedder) -> tuple[list[str], FloatArray, FloatArray]:
    names, rows, labels = [], [], []
    for folder, label in (("fire_images", 1.0), ("normal_images", 0.0)):
        for path in sorted((dataset / folder).iterdir()):
            image = cv2.imread(str(path))
            if image is None:
                continue
            names.append(f"{folder}/{path.name}")
            rows.append(image_features(np.asarray(image, dtype=np.uint8), embedder))
            labels.append(label)
    return names, np.stack(rows), np.asarray(labels, dtype=np.float32)


def fit(
    x: FloatArray, y: FloatArray, l2: float = 1.0, steps: int = 1500
) -> tuple[FloatArray, float]:
    w = np.zeros(x.shape[1], dtype=np.float64)
    b = 0.0
    # Class weights: positives are about one in six, so balance the loss.
    weight = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = weight * (p - y)
        w -= 0.1 * (x.T @ g / len(y) + l2 * w)
        b -= 0.1 * float(g.mean())
    return w.astype(np.float32), b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=Path("../shared/data/fire-cair"))
    parser.add_argument("--out", type=Path, default=bundled_classifier())
    parser.add_argument("--max-fpr", type=float, default=0.03)
    args = parser.parse_args()
    started = time.perf_counter()
    names, x, y = load(args.dataset, BackboneEmbedder())
    splits = np.asarray([split_of(n) for n in names])
    train, val, test = splits == "train", splits == "validation", splits == "test"
    mean, std = x[train].mean(0), x[train].std(0) + 1e-6
    xs = (x - mean) / std
    w, b = fit(xs[train], y[train])
    prob = 1.0 / (1.0 + np.exp(-(xs @ w + b)))
    # Lowest threshold on validation whose false-positive rate stays within the target.
    threshold = 0.5
    for t in np.sort(np.unique(prob[val]))[::-1]:
        negatives = prob[val & (y == 0)]
        if (negatives >= t).mean() <= args.max_fpr:
            threshold = float(t)
        else:
            break
    hashes = np.asarray([name_hash(n) for n, s in zip(names, splits, strict=True) if s != "test"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out,
        weights=w,
        bias=np.float32(b),
        mean=mean,
        std=std,
        threshold=np.float32(threshold),
        training_hashes=hashes,
    )
    for label, mask in (("train", train), ("validation", val), ("test", test)):
        pred = prob[mask] >= threshold
        truth = y[mask] > 0
        tp, fp = int((pred & truth).sum()), int((pred & ~truth).sum())
        fn, tn = int((~pred & truth).sum()), int((~pred & ~truth).sum())
        print(
            label,
            {"n": int(mask.sum()), "pos": int(truth.sum()), "tp": tp, "fp": fp, "fn": fn, "tn": tn},
        )
    print(f"threshold {threshold:.4f}, {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
