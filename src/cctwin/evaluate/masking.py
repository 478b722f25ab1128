"""Masking evaluation: share of annotated heads inside a mask, and how much of the image is hidden."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cctwin.errors import EvaluationError
from cctwin.evaluate.counting import development_half, ground_truth_points
from cctwin.evaluate.inputs import Skips, list_images, read_image
from cctwin.privacy.masker import Masker, MaskSettings, PeopleSource, draw_masks
from cctwin.privacy.regions import coverage_mask

SPLIT_NOTE = (
    "development = the first half of the images by sorted name (the masker's face threshold, "
    "face padding and head band were chosen there); held_out = the rest, never used to tune"
)


class Split(StrEnum):
    """Which images to score."""

    ALL = "all"
    DEVELOPMENT = "development"
    HELD_OUT = "held-out"


@dataclass(frozen=True, slots=True)
class ImageScore:
    """One image: annotated heads, heads inside a mask, and the masked share of its pixels."""

    image: str
    split: str
    heads: int
    covered: int
    masked_area_fraction: float


@dataclass(frozen=True, slots=True)
class MaskingScore:
    """Heads covered over all heads (pooled), and the mean masked share per image."""

    head_coverage: float | None
    masked_area_fraction: float | None
    n: int
    heads: int

    @classmethod
    def of(cls, rows: list[ImageScore]) -> MaskingScore:
        heads = sum(r.heads for r in rows)
        return cls(
            head_coverage=sum(r.covered for r in rows) / heads if heads else None,
            masked_area_fraction=(
                float(np.mean([r.masked_area_fraction for r in rows])) if rows else None
            ),
            n=len(rows),
            heads=heads,
        )


def score_image(
    name: str, split: str, points: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]
) -> ImageScore:
    """How many head points fall inside the mask (points outside the image count as missed)."""
    height, width = mask.shape
    xs = np.floor(points[:, 0]).astype(np.int64)
    ys = np.floor(points[:, 1]).astype(np.int64)
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    covered = int(mask[ys[inside], xs[inside]].sum())
    return ImageScore(name, split, len(points), covered, float(mask.mean()))


@dataclass(frozen=True, slots=True)
class MaskingReport:
    """Scores over all images and per half, with each image's row."""

    rows: list[ImageScore]
    settings: MaskSettings

    def part(self, split: str | None = None) -> MaskingScore:
        return MaskingScore.of([r for r in self.rows if split is None or r.split == split])

    def as_dict(self, skips: Skips) -> dict[str, object]:
        return {
            **asdict(self.part()),
            **skips.as_dict(),
            "splits": {name: asdict(self.part(name)) for name in ("development", "held_out")},
            "split_note": SPLIT_NOTE,
            "settings": _settings(self.settings),
            "per_image": [asdict(r) for r in self.rows],
        }


def evaluate_masking(
    dataset: Path, masker: Masker, split: Split, skips: Skips, plots: Path | None = None
) -> MaskingReport:
    """Mask every image under DIR/images/ of the split and score it against its head points."""
    images = list_images(dataset / "images")
    development, held_out = development_half(images)
    chosen = {
        Split.ALL: images,
        Split.DEVELOPMENT: development,
        Split.HELD_OUT: held_out,
    }[split]
    dev_names = {p.name for p in development}
    rows: list[ImageScore] = []
    for path in chosen:
        image = read_image(path)
        if image is None:
            skips.unreadable.append(path.name)
            continue
        try:
            points = ground_truth_points(dataset, path.stem)
        except FileNotFoundError:
            skips.no_truth.append(path.name)
            continue
        rects = masker.regions(image)
        mask = coverage_mask(rects, image.shape[1], image.shape[0])
        part = "development" if path.name in dev_names else "held_out"
        rows.append(score_image(path.name, part, points, mask))
        if plots is not None:
            _plot(plots, path.stem, draw_masks(image, rects, masker.settings.style), points)
    return MaskingReport(rows, masker.settings)


def _settings(settings: MaskSettings) -> dict[str, object]:
    return {
        "face_confidence": settings.face_confidence,
        "face_pad": settings.face_pad,
        "head": asdict(settings.head),
        "crowd": asdict(settings.crowd),
        "people": str(settings.people),
    }


def _plot(
    out: Path, stem: str, masked: npt.NDArray[np.uint8], points: npt.NDArray[np.float64]
) -> None:
    import cv2

    out.mkdir(parents=True, exist_ok=True)
    canvas = np.array(masked, copy=True)
    for x, y in points.tolist():
        cv2.circle(canvas, (int(x), int(y)), 3, (0, 0, 255), -1)
    cv2.imwrite(str(out / f"{stem}-masked.jpg"), canvas)


def masking_eval_command(
    dataset: Path, as_json: bool, plots: Path | None, split: Split, people: PeopleSource
) -> int:
    """`cctwin eval masking`: prints the report (JSON, or one line per split); returns 0/2."""
    try:
        list_images(dataset / "images")
    except EvaluationError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    skips = Skips()
    report = evaluate_masking(dataset, Masker(MaskSettings(people=people)), split, skips, plots)
    skips.report(len(report.rows), "head points")
    if not report.rows:
        sys.stderr.write(skips.nothing_left(dataset) + "\n")
        return 2
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(skips), indent=2) + "\n")
        return 0
    for name, key in (("all", None), ("development", "development"), ("held_out", "held_out")):
        part = report.part(key)
        if part.n and part.head_coverage is not None and part.masked_area_fraction is not None:
            sys.stdout.write(
                f"{name:<12} n={part.n} heads={part.heads} "
                f"head_coverage={part.head_coverage:.3f} "
                f"masked_area_fraction={part.masked_area_fraction:.3f}\n"
            )
    sys.stdout.write(f"split: {SPLIT_NOTE}\n")
    return 0
