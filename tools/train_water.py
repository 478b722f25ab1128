"""Train the tile water classifier on flood-water-masks (first 60% of sorted names)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.flood.segment import DEFAULT_MODEL, TILE, WORK_WIDTH, tile_features

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "flood-water-masks"


def split(dataset: Path) -> tuple[list[Path], list[Path]]:
    """Deterministic 60/40 split by sorted filename."""
    imgs = sorted((dataset / "images").iterdir())
    n = round(len(imgs) * 0.6)
    return imgs[:n], imgs[n:]


def tile_labels(mask_path: Path, rows: int) -> npt.NDArray[np.float64]:
    """Fraction of water pixels per tile at the working size."""
    m = (cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) > 127).astype(np.float32)
    m = cv2.resize(m, (WORK_WIDTH, rows * TILE), interpolation=cv2.INTER_AREA)
    return np.asarray(m.reshape(rows, TILE, -1, TILE).mean(axis=(1, 3)), dtype=np.float64)


def main() -> int:
    t0 = time.time()
    train, _ = split(DATA)
    xs, ys = [], []
    for p in train:
        f = tile_features(cv2.imread(str(p)))
        mask = next((DATA / "masks").glob(p.stem + ".*"))
        xs.append(f.reshape(-1, f.shape[2]))
        ys.append(tile_labels(mask, f.shape[0]).ravel())
    x, y = np.concatenate(xs), (np.concatenate(ys) > 0.5).astype(np.float64)
    mu, sigma = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = np.hstack([(x - mu) / sigma, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(500):  # plain gradient descent; L2 keeps it stable
        p = 1 / (1 + np.exp(-z @ w))
        w -= 0.5 * (z.T @ (p - y) / len(y) + 1e-3 * w)
    DEFAULT_MODEL.parent.mkdir(parents=True, exist_ok=True)
    np.savez(DEFAULT_MODEL, mu=mu, sigma=sigma, w=w)
    print(
        f"trained on {len(train)} images, {len(y)} tiles in {time.time() - t0:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
