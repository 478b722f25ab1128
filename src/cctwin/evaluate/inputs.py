"""Evaluation inputs: image folders, the bundled models' training images by hash, and skips."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.errors import EvaluationError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})


def content_hash(path: Path) -> str:
    """sha256 of the file's bytes: the same photo under another name or folder still matches."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_hash_list(path: Path) -> frozenset[str]:
    """The hashes of a `sha256sum`-style list (`<hex>  <name>`; `#` lines are comments)."""
    if not path.is_file():
        return frozenset()
    hashes = set()
    for line in path.read_text().splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            hashes.add(text.split()[0].lower())
    return frozenset(hashes)


def write_hash_list(path: Path, images: Iterable[Path], header: str) -> int:
    """Write `<sha256>  <name>` for each image under a `# header`; returns how many."""
    lines = [f"# {row}" for row in header.splitlines()]
    count = 0
    for image in images:
        lines.append(f"{content_hash(image)}  {image.name}")
        count += 1
    path.write_text("\n".join(lines) + "\n")
    return count


def list_images(folder: Path) -> list[Path]:
    """Image files in `folder` by suffix, sorted; EvaluationError if it is missing or empty."""
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: no such folder")
    images = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not images:
        raise EvaluationError(f"{folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return images


def read_image(path: Path) -> npt.NDArray[np.uint8] | None:
    """BGR pixels, or None for a file OpenCV cannot decode (truncated, not an image)."""
    try:
        image = cv2.imread(str(path))
    except cv2.error:
        return None
    return None if image is None else np.asarray(image, dtype=np.uint8)


@dataclass
class Skips:
    """Images left out of a score, by reason, and images scored after a fix-up of their truth."""

    trained_on: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    no_truth: list[str] = field(default_factory=list)
    bad_truth: list[str] = field(default_factory=list)
    resized_truth: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return (
            len(self.trained_on) + len(self.unreadable) + len(self.no_truth) + len(self.bad_truth)
        )

    def as_dict(self) -> dict[str, int]:
        """Counts for a JSON report."""
        return {
            "skipped_trained_on": len(self.trained_on),
            "skipped_unreadable": len(self.unreadable),
            "skipped_no_truth": len(self.no_truth),
            "skipped_bad_truth": len(self.bad_truth),
            "resized_truth": len(self.resized_truth),
        }

    def lines(self, scored: int, truth: str) -> list[str]:
        """What was scored and what was not, one reason a line (for stderr)."""
        out = [f"scored {scored} of {scored + self.skipped} images"]
        reasons = (
            (
                self.trained_on,
                "skipped, the bundled model was trained or tuned on them (content hash)",
            ),
            (self.unreadable, "skipped, unreadable image file"),
            (self.no_truth, f"skipped, no {truth}"),
            (self.bad_truth, f"skipped, unreadable {truth}"),
            (self.resized_truth, f"scored with the {truth} resized to the photo (nearest)"),
        )
        for names, reason in reasons:
            if names:
                shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
                out.append(f"{reason}: {len(names)} ({shown})")
        return out

    def nothing_left(self, dataset: Path) -> str:
        """The line for a data set where every image was skipped."""
        hint = " (--include-training scores the trained-on ones)" if self.trained_on else ""
        return f"{dataset}: no image left to score{hint}"

    def report(self, scored: int, truth: str, stream: TextIO | None = None) -> None:
        """Write `lines` to stderr (or `stream`)."""
        target = stream or sys.stderr
        for line in self.lines(scored, truth):
            target.write(line + "\n")


def split_training(images: list[Path], training: frozenset[str], skips: Skips) -> list[Path]:
    """The images whose content hash is not in `training`; the others go to `skips`."""
    if not training:
        return list(images)
    kept = []
    for path in images:
        if content_hash(path) in training:
            skips.trained_on.append(path.name)
        else:
            kept.append(path)
    return kept
