"""Water segmentation evaluation: mean IoU and pixel F1 on the held-out split."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Segmenter = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]]


def held_out(dataset: Path, exclude_training: bool = True) -> list[Path]:
    """Images to score: the last 40% by sorted name when excluding the training split."""
    imgs = sorted((dataset / "images").iterdir())
    return imgs[round(len(imgs) * 0.6) :] if exclude_training else imgs


def evaluate_water(
    dataset: Path, segmenter: Segmenter, exclude_training: bool = True
) -> dict[str, Any]:
    """Mean per-image IoU, pooled pixel F1 and the number of images scored."""
    ious: list[float] = []
    tp = fp = fn = 0
    for p in held_out(dataset, exclude_training):
        mask_path = next((dataset / "masks").glob(p.stem + ".*"))
        true_img = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        image = cv2.imread(str(p))
        if true_img is None or image is None:
            raise ValueError(f"unreadable image or mask for {p.stem}")
        true = true_img > 127
        pred = segmenter(np.asarray(image, dtype=np.uint8)) > 0
        inter, union = int((pred & true).sum()), int((pred | true).sum())
        # An image with no water either way is a perfect answer, not a division by zero.
        ious.append(inter / union if union else 1.0)
        tp += inter
        fp += int((pred & ~true).sum())
        fn += int((~pred & true).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {"iou": float(np.mean(ious)) if ious else 0.0, "pixel_f1": f1, "n": len(ious)}


def water_eval_command(dataset: Path, as_json: bool, plots: Path | None) -> int:
    """CLI entry: evaluate the bundled segmenter; plots are not implemented yet."""
    from cctwin.analytics.flood.segment import WaterSegmenter

    if not (dataset / "images").is_dir():
        sys.stderr.write(f"no images/ under {dataset}\n")
        return 2
    result = evaluate_water(dataset, WaterSegmenter())
    sys.stdout.write(
        (json.dumps(result) if as_json else "  ".join(f"{k}={v}" for k, v in result.items())) + "\n"
    )
    return 0
