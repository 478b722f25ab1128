"""Water segmentation evaluation: mean IoU and pixel F1 on images the model never saw, with plots."""

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
from rich.console import Console
from rich.progress import Progress

from cctwin.analytics.flood.segment import DEFAULT_MODEL
from cctwin.errors import EvaluationError
from cctwin.evaluate.inputs import (
    IMAGE_SUFFIXES,
    Skips,
    list_images,
    read_hash_list,
    read_image,
    split_training,
)

Segmenter = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]]
# tools/train_water.py trains on the first 60 % by sorted file name. Evaluation no longer
# relies on that order: it skips the trained-on photos by content hash (TRAINING_HASHES), so
# a new data set is scored in full.
DEVELOPMENT_FRACTION = 0.6
TRAINING_HASHES = DEFAULT_MODEL.with_name("water-classifier.training.sha256")


def development_split(dataset: Path) -> list[Path]:
    """Images train_water.py trains on and chooses thresholds with: the first 60 % by name."""
    imgs = list_images(dataset / "images")
    return imgs[: round(len(imgs) * DEVELOPMENT_FRACTION)]


def mask_path(dataset: Path, stem: str) -> Path | None:
    """The file under masks/ with this image's stem (any image suffix), if there is one."""
    folder = dataset / "masks"
    if not folder.is_dir():
        return None
    found = sorted(
        p for p in folder.iterdir() if p.stem == stem and p.suffix.lower() in IMAGE_SUFFIXES
    )
    return found[0] if found else None


def read_mask(dataset: Path, stem: str) -> npt.NDArray[np.bool_]:
    """The ground-truth mask for an image stem (> 127 = water); ValueError if absent or broken."""
    path = mask_path(dataset, stem)
    if path is None:
        raise ValueError(f"no mask for {stem}")
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise ValueError(f"unreadable mask for {stem}")
    return np.asarray(mask > 127, dtype=np.bool_)


def fit_mask(mask: npt.NDArray[np.bool_], shape: tuple[int, int]) -> npt.NDArray[np.bool_]:
    """The mask at the photo's size; nearest neighbour so it stays binary and edges stay put."""
    if mask.shape == shape:
        return mask
    resized = cv2.resize(
        mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST
    )
    return np.asarray(resized > 0, dtype=np.bool_)


@dataclass(frozen=True)
class ImageScore:
    """Outcome on one image, kept so the plots can show the worst ones."""

    path: Path
    iou: float
    pred: npt.NDArray[np.bool_]
    true: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class WaterRun:
    """The scored images and what was skipped or fixed up on the way."""

    scores: list[ImageScore]
    skips: Skips


def _truth(dataset: Path, path: Path, skips: Skips) -> npt.NDArray[np.bool_] | None:
    """The image's mask, or None after recording why it cannot be scored."""
    try:
        return read_mask(dataset, path.stem)
    except ValueError as exc:
        (skips.no_truth if str(exc).startswith("no mask") else skips.bad_truth).append(path.name)
        return None


def score_dataset(
    dataset: Path,
    segmenter: Segmenter,
    training: frozenset[str] = frozenset(),
    on_image: Callable[[int, int], None] | None = None,
) -> WaterRun:
    """IoU per image under images/, except trained-on, unreadable and unlabelled ones."""
    skips = Skips()
    paths = split_training(list_images(dataset / "images"), training, skips)
    scores = []
    for done, path in enumerate(paths):
        if on_image is not None:
            on_image(done, len(paths))
        image = read_image(path)
        if image is None:
            skips.unreadable.append(path.name)
            continue
        true = _truth(dataset, path, skips)
        if true is None:
            continue
        if true.shape != image.shape[:2]:
            skips.resized_truth.append(path.name)
            true = fit_mask(true, (image.shape[0], image.shape[1]))
        pred = np.asarray(segmenter(image) > 0, dtype=np.bool_)
        union = int((pred | true).sum())
        # An image with no water either way is a perfect answer, not a division by zero.
        iou = int((pred & true).sum()) / union if union else 1.0
        scores.append(ImageScore(path, iou, pred, true))
    return WaterRun(scores, skips)


def score_images(dataset: Path, segmenter: Segmenter, paths: list[Path]) -> list[ImageScore]:
    """Per-image IoU for the given paths (a mask of another size is resized to its photo)."""
    scores = []
    for path in paths:
        image = read_image(path)
        if image is None:
            raise ValueError(f"unreadable image {path}")
        true = fit_mask(read_mask(dataset, path.stem), (image.shape[0], image.shape[1]))
        pred = np.asarray(segmenter(image) > 0, dtype=np.bool_)
        union = int((pred | true).sum())
        iou = int((pred & true).sum()) / union if union else 1.0
        scores.append(ImageScore(path, iou, pred, true))
    return scores


def summarise(scores: list[ImageScore]) -> dict[str, Any]:
    """Mean per-image IoU, pooled pixel F1 and the number of images."""
    tp = sum(int((s.pred & s.true).sum()) for s in scores)
    fp = sum(int((s.pred & ~s.true).sum()) for s in scores)
    fn = sum(int((~s.pred & s.true).sum()) for s in scores)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    mean_iou = float(np.mean([s.iou for s in scores])) if scores else 0.0
    return {"iou": mean_iou, "pixel_f1": f1, "n": len(scores)}


def evaluate_water(
    dataset: Path, segmenter: Segmenter, training: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Mean IoU, pixel F1, n and skip counts over every image not in `training` (hashes)."""
    run = score_dataset(dataset, segmenter, training)
    return {**summarise(run.scores), **run.skips.as_dict()}


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


def water_eval_command(
    dataset: Path, as_json: bool, plots: Path | None, include_training: bool = False
) -> int:
    """`cctwin eval water`: every image but the trained-on ones; exit 2 if none can be scored."""
    from cctwin.analytics.flood.segment import WaterSegmenter

    training = frozenset() if include_training else read_hash_list(TRAINING_HASHES)
    try:
        with _progress() as progress:
            task = progress.add_task("segmenting", total=None)
            run = score_dataset(
                dataset,
                WaterSegmenter(),
                training,
                lambda done, total: progress.update(task, completed=done, total=total),
            )
    except EvaluationError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    run.skips.report(len(run.scores), "mask")
    if not run.scores:
        sys.stderr.write(run.skips.nothing_left(dataset) + "\n")
        return 2
    scores = run.scores
    result = {**summarise(scores), **run.skips.as_dict()}
    sys.stdout.write(
        (json.dumps(result) if as_json else "  ".join(f"{k}={v}" for k, v in result.items())) + "\n"
    )
    if plots is not None:
        for path in write_plots(scores, plots):
            sys.stderr.write(f"wrote {path}\n")
    return 0


def _progress() -> Progress:
    """A transient bar on stderr, so JSON on stdout stays clean."""
    return Progress(console=Console(stderr=True), transient=True)
