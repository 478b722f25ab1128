"""Train the water head on the development split of flood-water-masks; writes the .npz."""

from __future__ import annotations

import argparse
import itertools
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.progress import track
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from cctwin.analytics.backbones import STRIDE, BackboneName, FeatureBackbone, create_backbone
from cctwin.analytics.flood.segment import (
    DEFAULT_MODEL,
    INPUT_WIDTH,
    drop_weak_regions,
    head_logits,
    mean_probability,
    network_size,
    refine,
)
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
# Region check levels (mean probability, share of the image) searched by cross-validation.
REGION_MEANS = (0.0, 0.5, 0.6)
REGION_AREAS = (0.0, 0.01, 0.02)
# The MLP head: one hidden ReLU layer, fixed a priori (not tuned); C is unused for it.
HIDDEN = 64
MLP_ALPHA = 1e-3
MLP_EPOCHS = 15
# Heads trained with seeds 0.. and averaged: one seed's luck is fold-noise sized.
SEEDS = 3
# Hyperparameters: C, guided radius, eps, threshold, region mean, region area.
Setting = tuple[float, int, float, float, float, float]


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


def design(
    samples: list[Sample], weights: list[float]
) -> tuple[FloatArray, npt.NDArray[np.bool_], FloatArray]:
    """Cells of the plain and mirrored images as rows, with each image's sample weight."""
    rows, labels, row_weights = [], [], []
    for s, weight in zip(samples, weights, strict=True):
        # `mirrored` is already flipped back onto the image's own grid, so labels are shared.
        for feats in (s.features, s.mirrored):
            rows.append(feats.reshape(feats.shape[0], -1).T)
            labels.append(s.cell_labels.ravel())
            row_weights.append(np.full(len(rows[-1]), weight, dtype=np.float32))
    return np.concatenate(rows), np.concatenate(labels), np.concatenate(row_weights)


@dataclass(frozen=True)
class Head:
    """Standardisation and one or more heads (one per seed) stacked on a leading axis.

    Each head is an optional hidden ReLU layer (w1, b1) and output weights (w, b); their
    probabilities are averaged, as `WaterSegmenter` does at run time.
    """

    mu: FloatArray
    sigma: FloatArray
    w: FloatArray
    b: FloatArray
    flip_average: bool
    w1: FloatArray | None = None
    b1: FloatArray | None = None

    def logits(self, feats: FloatArray) -> FloatArray:
        """(heads, cells) logits."""
        return head_logits(feats, self.mu, self.sigma, self.w, self.b, self.w1, self.b1)

    def cells(self, s: Sample) -> FloatArray:
        views = (s.features, s.mirrored) if self.flip_average else (s.features,)
        avg = sum(self.logits(f) for f in views) / len(views)
        return mean_probability(avg).reshape(s.cell_labels.shape)


def fit(
    samples: list[Sample],
    dry: list[Sample],
    c: float,
    flip_average: bool,
    hidden: int,
    dry_weight: float,
    seeds: int = 1,
) -> Head:
    """Logistic regression (hidden 0) or `seeds` one-layer MLPs on the samples and dry scenes.

    The dry scenes together weigh `dry_weight` times the flood photos, so many of them do
    not swamp the few flood photos.
    """
    per_dry = dry_weight * len(samples) / len(dry) if dry else 0.0
    x, y, sw = design(samples + dry, [1.0] * len(samples) + [per_dry] * len(dry))
    mu, sigma = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = np.asarray((x - mu) / sigma, dtype=np.float32)
    if hidden <= 0:
        clf = LogisticRegression(C=c, max_iter=300).fit(z, y, sample_weight=sw)
        return Head(
            mu.astype(np.float32),
            sigma.astype(np.float32),
            clf.coef_.astype(np.float32),
            clf.intercept_.astype(np.float32),
            flip_average,
        )
    mlps = []
    for seed in range(seeds):
        # A fixed number of epochs (no early stop): the cells of one image are too alike for
        # a random validation split of rows to mean anything.
        mlp = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            alpha=MLP_ALPHA,
            max_iter=MLP_EPOCHS,
            batch_size=512,
            random_state=seed,
            tol=0.0,
            n_iter_no_change=MLP_EPOCHS + 1,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(z, y, sample_weight=sw)
        mlps.append(mlp)
    return Head(
        mu.astype(np.float32),
        sigma.astype(np.float32),
        np.stack([m.coefs_[1][:, 0] for m in mlps]).astype(np.float32),
        np.array([m.intercepts_[1][0] for m in mlps], dtype=np.float32),
        flip_average,
        np.stack([m.coefs_[0] for m in mlps]).astype(np.float32),
        np.stack([m.intercepts_[0] for m in mlps]).astype(np.float32),
    )


def iou(pred: npt.NDArray[np.bool_], true: npt.NDArray[np.bool_]) -> float:
    union = int((pred | true).sum())
    return int((pred & true).sum()) / union if union else 1.0


def cross_validate(
    samples: list[Sample],
    dry: list[Sample],
    flip_average: bool,
    hidden: int,
    dry_weight: float,
    seeds: int = 1,
) -> tuple[dict[Setting, float], dict[Setting, float]]:
    """Mean IoU on the dev split and the share of dry scenes left water-free, per setting.

    Dry scenes are split into the same folds, so each is judged by a head that never saw
    it; the choice itself is made on the development images' IoU only.
    """
    scores: dict[Setting, list[float]] = {}
    dry_clear: dict[Setting, list[float]] = {}
    for fold in range(FOLDS):
        # By position: samples compare by value, and their arrays cannot be compared with ==.
        held = samples[fold::FOLDS]
        train = [s for i, s in enumerate(samples) if i % FOLDS != fold]
        train_dry = [s for i, s in enumerate(dry) if i % FOLDS != fold]
        judged = [(s, True) for s in held] + [(s, False) for s in dry[fold::FOLDS]]
        for c in C_GRID if hidden <= 0 else (0.0,):
            head = fit(train, train_dry, c, flip_average, hidden, dry_weight, seeds)
            for s, is_dev in judged:
                cells = head.cells(s)
                for radius, eps in GUIDED_GRID:
                    prob = refine(cells, s.image, radius, eps)
                    for t, mean, area in itertools.product(THRESHOLDS, REGION_MEANS, REGION_AREAS):
                        raw = np.where(prob >= t, 255, 0).astype(np.uint8)
                        pred = drop_weak_regions(raw, prob, mean, area) > 0
                        key = (c, radius, eps, t, mean, area)
                        if is_dev:
                            scores.setdefault(key, []).append(iou(pred, s.mask))
                        else:
                            dry_clear.setdefault(key, []).append(float(not pred.any()))
        print(f"fold {fold + 1}/{FOLDS} done", flush=True)
    return (
        {k: float(np.mean(v)) for k, v in scores.items()},
        {k: float(np.mean(v)) for k, v in dry_clear.items()},
    )


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
        "did not stop false water on the dry held-out roads; see the model card for the "
        "weighted tries.",
    )
    parser.add_argument(
        "--dry-weight",
        type=float,
        default=0.3,
        help="Total sample weight of the dry scenes relative to the flood photos.",
    )
    parser.add_argument(
        "--hidden",
        type=int,
        default=HIDDEN,
        help="Hidden ReLU units of the head; 0 trains the earlier logistic regression "
        "(cross-validated 0.778 against 0.785 for 64 units, both without the region check).",
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
        choices=["vgg+efficientnet", "vgg", "nanodet", "efficientnet"],
        default="vgg+efficientnet",
        help="vgg+efficientnet (CSRNet's front end with EfficientNet-Lite0's stride-16 and -32 "
        "stages) scored 0.806 against vgg's 0.786 in cross-validation (three seeds each); vgg "
        "alone scored 0.776 against nanodet's 0.735 (logistic heads).",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=SEEDS,
        help="MLP heads trained with different seeds; their probabilities are averaged. One "
        "seed moved cross-validated IoU by up to 0.011 (0.796-0.807 on vgg+efficientnet).",
    )
    args = parser.parse_args()
    t0 = time.time()
    name: BackboneName = args.backbone
    backbone = create_backbone(name, threads=2)
    width, flip = args.input_width, args.flip_average
    samples = load(development_split(args.dataset), args.dataset, backbone, "development", width)
    dry_paths = sorted(p for folder in args.dry for p in folder.glob("*.jpg"))
    dry = load(dry_paths, None, backbone, "dry scenes", width)
    scores, dry_clear = cross_validate(samples, dry, flip, args.hidden, args.dry_weight, args.seeds)
    # Chosen on the development photos' IoU alone; the dry scenes are reported, not optimised.
    chosen, best = max(scores.items(), key=lambda kv: kv[1])
    c, radius, eps, threshold, region_mean, region_area = chosen
    plain = scores[(c, 0, 0.0, 0.5, 0.0, 0.0)]
    head = fit(samples, dry, c, flip, args.hidden, args.dry_weight, args.seeds)
    hidden_layer = {} if head.w1 is None else {"w1": head.w1, "b1": head.b1}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out,
        mu=head.mu,
        sigma=head.sigma,
        w=head.w,
        b=head.b,
        backbone=np.str_(name),
        input_width=np.int32(width),
        flip_average=np.bool_(flip),
        guided_radius=np.int32(radius),
        guided_eps=np.float32(eps),
        threshold=np.float32(threshold),
        min_region_mean=np.float32(region_mean),
        min_region_area=np.float32(region_area),
        **hidden_layer,
    )
    summary = {
        "dev_images": len(samples),
        "dry_images": len(dry),
        "backbone": name,
        "input_width": width,
        "flip_average": flip,
        "cv_folds": FOLDS,
        "hidden": args.hidden,
        "seeds": args.seeds,
        "chosen": {
            "C": c,
            "guided_radius": radius,
            "guided_eps": eps,
            "threshold": threshold,
            "min_region_mean": region_mean,
            "min_region_area": region_area,
        },
        "cv_mean_iou": round(best, 4),
        "cv_mean_iou_without_region_check": round(
            max(v for k, v in scores.items() if k[4:] == (0.0, 0.0)), 4
        ),
        "cv_mean_iou_same_C_no_refine_t0.5": round(plain, 4),
        "cv_dry_scenes_left_dry": round(dry_clear[chosen], 3) if dry_clear else None,
        "seconds": round(time.time() - t0, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
