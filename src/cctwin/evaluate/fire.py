"""Still-image fire classification metrics over a fire-cair-style folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from cctwin.analytics.fire.detector import FireDetector, FireScore, name_hash
from cctwin.analytics.fire.features import UInt8Array


class FireScorer(Protocol):
    """What evaluation needs from a detector: a threshold, training hashes and `score`."""

    threshold: float
    training_hashes: frozenset[str]

    def score(self, image_bgr: UInt8Array) -> FireScore: ...


def evaluate_fire(
    dataset: Path, detector: FireScorer, exclude_training: bool = True
) -> dict[str, float | int]:
    """Precision, recall, F1, FPR and n over `fire_images/` (positive) and `normal_images/`."""
    tp = fp = fn = tn = 0
    for folder, positive in (("fire_images", True), ("normal_images", False)):
        for path in sorted((dataset / folder).iterdir()):
            # Training and validation images are recognised by the hash of their relative name.
            if exclude_training and name_hash(f"{folder}/{path.name}") in detector.training_hashes:
                continue
            image = cv2.imread(str(path))
            if image is None:
                continue
            fired = detector.score(np.asarray(image, dtype=np.uint8)).fire >= detector.threshold
            tp += fired and positive
            fp += fired and not positive
            fn += positive and not fired
            tn += not positive and not fired
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


def fire_eval_command(dataset: Path, as_json: bool) -> int:
    """`cctwin eval fire --dataset DIR [--json]`: prints the metrics; exit 2 if DIR is unusable."""
    if not (dataset / "fire_images").is_dir() or not (dataset / "normal_images").is_dir():
        sys.stderr.write(f"{dataset}: needs fire_images/ and normal_images/\n")
        return 2
    metrics = evaluate_fire(dataset, FireDetector())
    if as_json:
        sys.stdout.write(json.dumps(metrics) + "\n")
    else:
        for key, value in metrics.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            sys.stdout.write(f"{key:>9}  {shown}\n")
    return 0
