"""Still-image fire classification metrics over a fire-cair-style folder, with optional plots."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np
from rich.console import Console
from rich.progress import Progress

from cctwin.analytics.fire.detector import FireDetector, FireScore, bundled_classifier, name_hash
from cctwin.analytics.fire.features import UInt8Array
from cctwin.errors import EvaluationError
from cctwin.evaluate.inputs import Skips, content_hash, list_images, read_hash_list, read_image

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FOLDERS = (("fire_images", True), ("normal_images", False))


class FireScorer(Protocol):
    """What evaluation needs from a detector: a threshold, training hashes and `score`."""

    threshold: float
    training_hashes: frozenset[str]

    def score(self, image_bgr: UInt8Array) -> FireScore: ...


@dataclass(frozen=True)
class ScoredImage:
    """One evaluated image: where it is, its label and the detector's fire probability."""

    path: Path
    positive: bool
    fire: float


TRAINING_HASHES = bundled_classifier().with_name("fire-classifier.training.sha256")


def _trained_on(folder: str, path: Path, detector: FireScorer, content: frozenset[str]) -> bool:
    """By content hash when a list is given (renamed copies still match), else by name hash."""
    if content:
        return content_hash(path) in content
    return name_hash(f"{folder}/{path.name}") in detector.training_hashes


def score_dataset(
    dataset: Path,
    detector: FireScorer,
    exclude_training: bool = True,
    content: frozenset[str] = frozenset(),
    on_image: Callable[[], None] | None = None,
) -> tuple[list[ScoredImage], Skips]:
    """Score every readable image but the trained-on ones; EvaluationError for an empty set."""
    images = [(folder, positive, list_images(dataset / folder)) for folder, positive in FOLDERS]
    scored, skips = [], Skips()
    for folder, positive, paths in images:
        for path in paths:
            if on_image is not None:
                on_image()
            if exclude_training and _trained_on(folder, path, detector, content):
                skips.trained_on.append(f"{folder}/{path.name}")
                continue
            image = read_image(path)
            if image is None:
                skips.unreadable.append(f"{folder}/{path.name}")
                continue
            scored.append(ScoredImage(path, positive, detector.score(image).fire))
    return scored, skips


def score_images(
    dataset: Path, detector: FireScorer, exclude_training: bool = True
) -> list[ScoredImage]:
    """Score every readable image, skipping training/validation ones (by name hash)."""
    return score_dataset(dataset, detector, exclude_training)[0]


def metrics(scored: list[ScoredImage], threshold: float) -> dict[str, float | int]:
    """Precision, recall, F1, FPR, n and the confusion counts at `threshold`."""
    tp = sum(s.positive and s.fire >= threshold for s in scored)
    fp = sum(not s.positive and s.fire >= threshold for s in scored)
    fn = sum(s.positive and s.fire < threshold for s in scored)
    tn = sum(not s.positive and s.fire < threshold for s in scored)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "n": tp + fp + fn + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def evaluate_fire(
    dataset: Path, detector: FireScorer, exclude_training: bool = True
) -> dict[str, float | int]:
    """Precision, recall, F1, FPR and n over `fire_images/` (positive) and `normal_images/`."""
    return metrics(score_images(dataset, detector, exclude_training), detector.threshold)


def write_plots(scored: list[ScoredImage], threshold: float, out: Path) -> list[Path]:
    """PR curve with the operating point, score histograms by class, worst-mistakes grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fire = np.asarray([s.fire for s in scored])
    positive = np.asarray([s.positive for s in scored])
    written = []

    figure, axis = plt.subplots(figsize=(5, 4.5))
    curve = [metrics(scored, float(t)) for t in np.unique(fire)]
    axis.plot([m["recall"] for m in curve], [m["precision"] for m in curve], drawstyle="steps")
    point = metrics(scored, threshold)
    axis.plot(point["recall"], point["precision"], "ro", label=f"threshold {threshold:.3f}")
    axis.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02))
    axis.set_title(f"fire, held out (n={point['n']}): F1 {point['f1']:.3f}, FPR {point['fpr']:.3f}")
    axis.legend(loc="lower left")
    written.append(_save(figure, out / "fire-pr.png"))

    figure, axis = plt.subplots(figsize=(6, 4))
    bins = [i / 25 for i in range(26)]
    axis.hist(fire[~positive], bins=bins, alpha=0.6, label=f"normal ({(~positive).sum()})")
    axis.hist(fire[positive], bins=bins, alpha=0.6, label=f"fire ({positive.sum()})")
    axis.axvline(threshold, color="red", linestyle="--", label="threshold")
    axis.set(xlabel="fire probability", ylabel="images", yscale="log")
    axis.legend()
    written.append(_save(figure, out / "fire-scores.png"))

    written.append(_mistakes_grid(scored, threshold, out / "fire-mistakes.png"))
    plt.close("all")
    return written


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def _mistakes_grid(
    scored: list[ScoredImage], threshold: float, path: Path, per_row: int = 6
) -> Path:
    """Top row: highest-scoring normal images; bottom row: lowest-scoring fire images."""
    import matplotlib.pyplot as plt

    negatives = sorted((s for s in scored if not s.positive), key=lambda s: -s.fire)[:per_row]
    positives = sorted((s for s in scored if s.positive), key=lambda s: s.fire)[:per_row]
    figure, axes = plt.subplots(2, per_row, figsize=(2.4 * per_row, 5.2), squeeze=False)
    for row, chosen, wrong in ((0, negatives, "FP"), (1, positives, "FN")):
        for column in range(per_row):
            axis = axes[row][column]
            axis.axis("off")
            if column >= len(chosen):
                continue
            item = chosen[column]
            image = cv2.imread(str(item.path))
            if image is not None:
                axis.imshow(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            error = (item.fire >= threshold) != item.positive
            axis.set_title(
                f"{wrong if error else 'ok'} {item.fire:.2f}\n{item.path.name[:22]}",
                fontsize=8,
                color="red" if error else "black",
            )
    figure.suptitle("top: highest-scoring normal images; bottom: lowest-scoring fire images")
    return _save(figure, path)


def fire_eval_command(
    dataset: Path, as_json: bool, plots: Path | None = None, include_training: bool = False
) -> int:
    """`cctwin eval fire --dataset DIR [--json] [--plots OUT]`; exit 2 if DIR is unusable."""
    if not (dataset / "fire_images").is_dir() or not (dataset / "normal_images").is_dir():
        sys.stderr.write(f"{dataset}: needs fire_images/ and normal_images/\n")
        return 2
    detector = FireDetector()
    try:
        total = sum(len(list_images(dataset / folder)) for folder, _ in FOLDERS)
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("scoring", total=total)
            scored, skips = score_dataset(
                dataset,
                detector,
                not include_training,
                read_hash_list(TRAINING_HASHES),
                lambda: progress.advance(task),
            )
    except EvaluationError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    skips.report(len(scored), "label")
    if not scored:
        sys.stderr.write(skips.nothing_left(dataset) + "\n")
        return 2
    result = {**metrics(scored, detector.threshold), **skips.as_dict()}
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        for key, value in result.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            sys.stdout.write(f"{key:>18}  {shown}\n")
    if plots is not None:
        for path in write_plots(scored, detector.threshold, plots):
            sys.stderr.write(f"wrote {path}\n")
    return 0
