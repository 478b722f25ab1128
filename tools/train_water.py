"""Train the water head on the development split of flood-water-masks; writes the .npz."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.progress import track
from sklearn.linear_model import LogisticRegression

from cctwin.analytics.backbones import STRIDE, BackboneName, FeatureBackbone, create_backbone
from cctwin.analytics.flood.segment import DEFAULT_MODEL, INPUT_WIDTH, network_size, refine
from cctwin.evaluate.water import development_split, read_mask

FloatArray = npt.NDArray[np.float32]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA = SHARED / "flood-water-masks"
# Street photos for people counting: dry roads, dirt tracks and crowds, never flooded.
DRY = SHARED / "crowd-street" / "train_data" / "images"
FOLDS = 5
C_GRID = (0.002, 0.01, 0.05)
GUIDED_GRID = ((0, 0.0), (16, 1e-3), (32, 1e-3), (48, 1e-3))
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5)


@dataclass(frozen=True)
class Sample:
    """One development image with its cell features (plain and mirrored) and masks."""

    stem: str
    image: npt.NDArray[np.uint8]
    mask: npt.NDArray[np.bool_]
    features: FloatArray
    mirrored: FloatArray
    cell_labels: npt.NDArray[np.bool_]


def load(
    paths: list[Path],
    dataset: Path | None,
    backbone: FeatureBackbone,
    label: str,
    input_width: int = INPUT_WIDTH,
) -> list[Sample]:
    """Samples with their masks; with `dataset` None the images are dry (no water anywhere)."""
    samples = []
    for path in track(paths, description=label):
        image = np.asarray(cv2.imread(str(path)), dtype=np.uint8)
        mask = (
            read_mask(dataset, path.stem)
            if dataset is not None
            else np.zeros(image.shape[:2], dtype=np.bool_)
        )
        net_h, net_w = network_size(*image.shape[:2], input_width=input_width)
        resized = np.asarray(
            cv2.resize(image, (net_w, net_h), interpolation=cv2.INTER_AREA), np.uint8
        )
        fraction = cv2.resize(
            mask.astype(np.float32),
            (net_w // STRIDE, net_h // STRIDE),
            interpolation=cv2.INTER_AREA,
        )
        mirrored = backbone.features(np.ascontiguousarray(resized[:, ::-1]))[:, :, ::-1]
        samples.append(
            Sample(
                path.stem,
                image,
                mask,
                backbone.features(resized),
                np.ascontiguousarray(mirrored),
                fraction > 0.5,
            )
        )
    return samples


def design(samples: list[Sample]) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Cells of the plain and mirrored images as rows; mirroring is the augmentation."""
    rows, labels = [], []
    for s in samples:
        # `mirrored` is already flipped back onto the image's own grid, so labels are shared.
        for feats in (s.features, s.mirrored):
            rows.append(feats.reshape(feats.shape[0], -1).T)
            labels.append(s.cell_labels.ravel())
    return np.concatenate(rows), np.concatenate(labels)


@dataclass(frozen=True)
class Head:
    """Standardisation and logistic-regression weights."""

    mu: FloatArray
    sigma: FloatArray
    w: FloatArray
    b: float
    flip_average: bool

    def cells(self, s: Sample) -> FloatArray:
        views = (s.features, s.mirrored) if self.flip_average else (s.features,)
        logits = [
            ((f.reshape(f.shape[0], -1).T - self.mu) / self.sigma) @ self.w + self.b for f in views
        ]
        avg = (sum(logits) / len(logits)).reshape(s.cell_labels.shape)
        return np.asarray(1.0 / (1.0 + np.exp(-avg)), dtype=np.float32)


def fit(samples: list[Sample], c: float, flip_average: bool) -> Head:
    x, y = design(samples)
    mu, sigma = x.mean(axis=0), x.std(axis=0) + 1e-6
    clf = LogisticRegression(C=c, max_iter=300).fit((x - mu) / sigma, y)
    return Head(
        mu.astype(np.float32),
        sigma.astype(np.float32),
        clf.coef_[0].astype(np.float32),
        float(clf.intercept_[0]),
        flip_average,
    )


def iou(pred: npt.NDArray[np.bool_], true: npt.NDArray[np.bool_]) -> float:
    union = int((pred | true).sum())
    return int((pred & true).sum()) / union if union else 1.0


def cross_validate(
    samples: list[Sample], dry: list[Sample], flip_average: bool
) -> dict[tuple[float, int, float, float], float]:
    """Mean IoU per (C, guided radius, eps, threshold) over image-level folds of the dev split.

    The dry scenes are in every fold's training set; only development images are scored.
    """
    scores: dict[tuple[float, int, float, float], list[float]] = {}
    for fold in range(FOLDS):
        held = samples[fold::FOLDS]
        train = [s for s in samples if s not in held] + dry
        for c in C_GRID:
            head = fit(train, c, flip_average)
            for s in held:
                cells = head.cells(s)
                for radius, eps in GUIDED_GRID:
                    prob = refine(cells, s.image, radius, eps)
                    for t in THRESHOLDS:
                        scores.setdefault((c, radius, eps, t), []).append(iou(prob >= t, s.mask))
        print(f"fold {fold + 1}/{FOLDS} done", flush=True)
    return {k: float(np.mean(v)) for k, v in scores.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--dry",
        type=Path,
        nargs="*",
        default=[],
        help="Folders of scenes with no water, learned as water-free throughout (e.g. "
        f"{DRY}). Off by default: crowd-street's dry roads cost 0.02 cross-validated IoU and "
        "did not stop false water on the dry held-out roads.",
    )
    parser.add_argument(
        "--input-width",
        type=int,
        default=INPUT_WIDTH,
        help="Backbone input width (multiple of 32). 640 without mirror averaging scored 0.787 "
        "in cross-validation against 0.778 for 416 with it (within fold noise), held out "
        "0.703 against 0.711, at 1.1x the cost; the shipped head is 416 with averaging.",
    )
    parser.add_argument(
        "--flip-average",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Average the image's and its mirror's logits at run time (two backbone passes).",
    )
    parser.add_argument(
        "--backbone",
        choices=["vgg", "nanodet", "efficientnet"],
        default="vgg",
        help="vgg (CSRNet's front end) scored 0.776 against nanodet's 0.735 in cross-validation.",
    )
    args = parser.parse_args()
    t0 = time.time()
    name: BackboneName = args.backbone
    backbone = create_backbone(name, threads=2)
    width, flip = args.input_width, args.flip_average
    samples = load(development_split(args.dataset), args.dataset, backbone, "development", width)
    dry_paths = sorted(p for folder in args.dry for p in folder.glob("*.jpg"))
    dry = load(dry_paths, None, backbone, "dry scenes", width)
    scores = cross_validate(samples, dry, flip)
    (c, radius, eps, threshold), best = max(scores.items(), key=lambda kv: kv[1])
    plain = scores[(c, 0, 0.0, 0.5)]
    head = fit(samples + dry, c, flip)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out,
        mu=head.mu,
        sigma=head.sigma,
        w=head.w,
        b=np.float32(head.b),
        backbone=np.str_(name),
        input_width=np.int32(width),
        flip_average=np.bool_(flip),
        guided_radius=np.int32(radius),
        guided_eps=np.float32(eps),
        threshold=np.float32(threshold),
    )
    summary = {
        "dev_images": len(samples),
        "dry_images": len(dry),
        "backbone": name,
        "input_width": width,
        "flip_average": flip,
        "cv_folds": FOLDS,
        "chosen": {"C": c, "guided_radius": radius, "guided_eps": eps, "threshold": threshold},
        "cv_mean_iou": round(best, 4),
        "cv_mean_iou_same_C_no_refine_t0.5": round(plain, 4),
        "seconds": round(time.time() - t0, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
