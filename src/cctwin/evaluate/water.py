"""Water segmentation evaluation: mean IoU and pixel F1 on the held-out split, with plots."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Segmenter = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]]
# Sorted by file name, the first 60 % train (and choose every hyperparameter); the rest is
# held out. Deterministic and independent of the model, so train and eval agree.
DEVELOPMENT_FRACTION = 0.6


def _images(dataset: Path) -> list[Path]:
    return sorted(p for p in (dataset / "images").iterdir() if p.is_file())


def development_split(dataset: Path) -> list[Path]:
    """Images used for training and for choosing thresholds: the first 60 % by name."""
    imgs = _images(dataset)
    return imgs[: round(len(imgs) * DEVELOPMENT_FRACTION)]


def held_out(dataset: Path, exclude_training: bool = True) -> list[Path]:
    """Images to score: the last 40 % by sorted name when excluding the training split."""
    imgs = _images(dataset)
    return imgs[round(len(imgs) * DEVELOPMENT_FRACTION) :] if exclude_training else imgs


def read_mask(dataset: Path, stem: str) -> npt.NDArray[np.bool_]:
    """The ground-truth mask for an image stem (> 127 = water)."""
    mask_path = next((dataset / "masks").glob(stem + ".*"))
    mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise ValueError(f"unreadable mask for {stem}")
    return np.asarray(mask > 127, dtype=np.bool_)


@dataclass(frozen=True)
class ImageScore:
    """Outcome on one image, kept so the plots can show the worst ones."""

    path: Path
    iou: float
    pred: npt.NDArray[np.bool_]
    true: npt.NDArray[np.bool_]


def score_images(dataset: Path, segmenter: Segmenter, paths: list[Path]) -> list[ImageScore]:
    """Per-image IoU with the predicted and true masks."""
    out = []
    for p in paths:
        image = cv2.imread(str(p))
        if image is None:
            raise ValueError(f"unreadable image {p}")
        true = read_mask(dataset, p.stem)
        pred = np.asarray(segmenter(np.asarray(image, dtype=np.uint8)) > 0, dtype=np.bool_)
        union = int((pred | true).sum())
        # An image with no water either way is a perfect answer, not a division by zero.
        iou = int((pred & true).sum()) / union if union else 1.0
        out.append(ImageScore(p, iou, pred, true))
    return out


def summarise(scores: list[ImageScore]) -> dict[str, Any]:
    """Mean per-image IoU, pooled pixel F1 and the number of images."""
    tp = sum(int((s.pred & s.true).sum()) for s in scores)
    fp = sum(int((s.pred & ~s.true).sum()) for s in scores)
    fn = sum(int((~s.pred & s.true).sum()) for s in scores)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    mean_iou = float(np.mean([s.iou for s in scores])) if scores else 0.0
    return {"iou": mean_iou, "pixel_f1": f1, "n": len(scores)}


def evaluate_water(
    dataset: Path, segmenter: Segmenter, exclude_training: bool = True
) -> dict[str, Any]:
    """Mean per-image IoU, pooled pixel F1 and the number of images scored."""
    return summarise(score_images(dataset, segmenter, held_out(dataset, exclude_training)))


def _overlay(path: Path, pred: npt.NDArray[np.bool_], true: npt.NDArray[np.bool_]) -> Any:
    """RGB image tinted green where both agree, red for false water, blue for missed water."""
    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"unreadable image {path}")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32)
    tint = np.zeros_like(rgb)
    tint[pred & true] = (0, 255, 0)
    tint[pred & ~true] = (255, 0, 0)
    tint[~pred & true] = (0, 80, 255)
    any_mask = (pred | true)[..., None]
    return np.where(any_mask, 0.55 * rgb + 0.45 * tint, rgb).astype(np.uint8)


def write_plots(scores: list[ImageScore], out: Path, worst: int = 6) -> list[Path]:
    """IoU histogram and a grid of the worst images (image, truth, prediction overlay)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist([s.iou for s in scores], bins=[i / 20 for i in range(21)], color="tab:blue")
    ax.set_xlabel("IoU per image")
    ax.set_ylabel("images")
    ax.set_title(f"water IoU, n={len(scores)}, mean={np.mean([s.iou for s in scores]):.3f}")
    fig.tight_layout()
    written.append(out / "water_iou_hist.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    chosen = sorted(scores, key=lambda s: s.iou)[:worst]
    fig, axes = plt.subplots(len(chosen), 2, figsize=(9, 3.2 * len(chosen)), squeeze=False)
    for row, s in zip(axes, chosen, strict=True):
        row[0].imshow(_overlay(s.path, s.true, s.true))
        row[0].set_title(f"{s.path.name}: true water", fontsize=9)
        row[1].imshow(_overlay(s.path, s.pred, s.true))
        row[1].set_title(
            f"predicted, IoU {s.iou:.2f} (green hit, red false, blue missed)", fontsize=9
        )
        for ax in row:
            ax.axis("off")
    fig.tight_layout()
    written.append(out / "water_worst.png")
    fig.savefig(written[-1], dpi=80)
    plt.close(fig)
    return written


def water_eval_command(dataset: Path, as_json: bool, plots: Path | None) -> int:
    """CLI entry: evaluate the bundled segmenter on the held-out split, optionally plotting."""
    from cctwin.analytics.flood.segment import WaterSegmenter

    if not (dataset / "images").is_dir():
        sys.stderr.write(f"no images/ under {dataset}\n")
        return 2
    scores = score_images(dataset, WaterSegmenter(), held_out(dataset))
    result = summarise(scores)
    sys.stdout.write(
        (json.dumps(result) if as_json else "  ".join(f"{k}={v}" for k, v in result.items())) + "\n"
    )
    if plots is not None:
        for path in write_plots(scores, plots):
            sys.stderr.write(f"wrote {path}\n")
    return 0
