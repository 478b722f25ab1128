"""Crowd-counting evaluation: MAE, RMSE and relative MAE against point annotations."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import cv2
import numpy as np
import numpy.typing as npt

SPLIT_NOTE = (
    "development = first half of the sorted image names (the hybrid counter's detector "
    "settings, switch rule and distant-crowd rule were chosen on crowd-street's development "
    "half); "
    "held_out = second half, never used for any choice"
)


@dataclass(frozen=True, slots=True)
class Overlay:
    """What the worst-image plot draws over an image: a density map or detector boxes."""

    density_map: npt.NDArray[np.float32] | None
    boxes: npt.NDArray[np.float32] | None


class Counter(Protocol):
    """Anything that counts people in a BGR image (HybridCounter, DensityCounter)."""

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = ...,
        max_side: int = ...,
    ) -> Any: ...


def ground_truth_count(dataset: Path, stem: str) -> int:
    """Number of annotated heads: ShanghaiTech GT_<stem>.mat or a <stem>.json point list."""
    mat = dataset / "ground-truth" / f"GT_{stem}.mat"
    if mat.is_file():
        from scipy.io import loadmat

        info = loadmat(str(mat))["image_info"]
        return int(np.asarray(info[0, 0][0, 0][0]).reshape(-1, 2).shape[0])
    for candidate in (dataset / "ground-truth" / f"{stem}.json", dataset / f"{stem}.json"):
        if candidate.is_file():
            data = json.loads(candidate.read_text())
            points = data.get("points", data) if isinstance(data, dict) else data
            return len(points)
    raise FileNotFoundError(f"{dataset}: no ground truth for {stem}")


_T = TypeVar("_T")


def development_half(items: list[_T]) -> tuple[list[_T], list[_T]]:
    """Split items in sorted-image-name order into the development and held-out halves."""
    half = (len(items) + 1) // 2
    return items[:half], items[half:]


def evaluate_counting(dataset: Path, counter: Counter, plots: Path | None = None) -> dict[str, Any]:
    """Count every DIR/images/*.jpg and compare with its annotation."""
    from rich.console import Console
    from rich.progress import Progress

    images = sorted((dataset / "images").glob("*.jpg"))
    if not images:
        raise FileNotFoundError(f"{dataset}/images: no .jpg images")
    per_image: list[dict[str, Any]] = []
    maps: dict[str, Overlay] = {}
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("counting", total=len(images))
        for path in images:
            per_image.append(_count_one(dataset, path, counter, maps))
            progress.advance(task)
    development, held_out = development_half(per_image)
    report: dict[str, Any] = {
        **_metrics(per_image),
        "per_image": per_image,
        "splits": {
            name: {**_metrics(rows), "images": [r["image"] for r in rows]}
            for name, rows in (("development", development), ("held_out", held_out))
        },
        "split_note": SPLIT_NOTE,
    }
    if plots is not None:
        _plot(dataset, per_image, maps, plots)
    return report


def _count_one(
    dataset: Path, path: Path, counter: Counter, maps: dict[str, Overlay]
) -> dict[str, Any]:
    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"{path}: unreadable image")
    result = counter.count(np.asarray(image, dtype=np.uint8))
    row: dict[str, Any] = {
        "image": path.name,
        "gt": ground_truth_count(dataset, path.stem),
        "pred": round(float(result.count), 2),
        # A plain density model has no method attribute: it is always the density path.
        "method": str(getattr(result, "method", "density")),
    }
    if hasattr(result, "detector_count"):
        row["detector_count"] = int(result.detector_count)
        row["density_count"] = round(float(result.density_count), 2)
    if hasattr(result, "density_fill"):
        row["density_fill"] = round(float(result.density_fill), 2)
    if hasattr(result, "faces"):
        row["faces"] = int(result.faces)
        row["people"] = int(result.people)
    boxes = getattr(result, "boxes", None)
    # Show what made the count: the boxes when the detector counted, else the density map.
    if row["method"] == "detector" and boxes is not None:
        maps[path.name] = Overlay(None, np.asarray(boxes.xyxy, dtype=np.float32))
    elif hasattr(result, "density_map"):
        maps[path.name] = Overlay(np.asarray(result.density_map, dtype=np.float32), None)
    return row


def _metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {"mae": None, "rmse": None, "relative_mae": None, "n": 0}
    err = np.array([r["pred"] - r["gt"] for r in rows], dtype=np.float64)
    # gt of 0 would divide by zero; treat it as 1 person so empty scenes still count.
    gts = np.array([max(r["gt"], 1) for r in rows], dtype=np.float64)
    return {
        "mae": float(np.abs(err).mean()),
        "rmse": float(math.sqrt(float((err**2).mean()))),
        "relative_mae": float((np.abs(err) / gts).mean()),
        "n": len(rows),
    }


def _plot(
    dataset: Path,
    per_image: list[dict[str, Any]],
    maps: dict[str, Overlay],
    out: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    out.mkdir(parents=True, exist_ok=True)
    gt = np.array([r["gt"] for r in per_image], dtype=np.float64)
    pred = np.array([r["pred"] for r in per_image], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.hist(pred - gt, bins=20)
    ax.set_xlabel("predicted - true count")
    ax.set_ylabel("images")
    fig.savefig(out / "error_histogram.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(gt, pred)
    top = float(max(gt.max(), pred.max(), 1.0))
    ax.plot([0, top], [0, top], "k--")
    ax.set_xlabel("true count")
    ax.set_ylabel("predicted count")
    fig.savefig(out / "pred_vs_true.png", dpi=100)
    plt.close(fig)
    worst = sorted(per_image, key=lambda r: -abs(r["pred"] - r["gt"]))[:4]
    fig, axes = plt.subplots(1, len(worst), figsize=(5 * len(worst), 4), squeeze=False)
    for ax, row in zip(axes[0], worst, strict=False):
        image = cv2.imread(str(dataset / "images" / row["image"]))
        if image is None:
            continue
        ax.imshow(image[:, :, ::-1])
        overlay = maps.get(row["image"])
        if overlay is not None and overlay.density_map is not None:
            h, w = image.shape[:2]
            ax.imshow(cv2.resize(overlay.density_map, (w, h)), cmap="jet", alpha=0.45)
        if overlay is not None and overlay.boxes is not None:
            for x0, y0, x1, y1 in overlay.boxes.tolist():
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="lime"))
        ax.set_title(f"{row['image']} gt {row['gt']} pred {row['pred']:.1f} ({row['method']})")
        ax.axis("off")
    fig.savefig(out / "worst.png", dpi=80)
    plt.close(fig)


def counting_eval_command(
    dataset: Path, as_json: bool, plots: Path | None, density_model: Path | None = None
) -> int:
    """`cctwin eval counting`: prints the report (JSON, or a short summary) and returns 0/2.

    density_model replaces the bundled CSRNet file (default csrnet-int8.onnx) inside the hybrid counter.
    """
    from cctwin.analytics.crowd.density import DensityCounter
    from cctwin.analytics.crowd.hybrid import HybridCounter

    if not (dataset / "images").is_dir():
        sys.stderr.write(f"{dataset}: no images/ folder\n")
        return 2
    if density_model is not None and not density_model.is_file():
        sys.stderr.write(f"{density_model}: density model not found\n")
        return 2
    density = DensityCounter(model=density_model) if density_model is not None else None
    report = evaluate_counting(dataset, HybridCounter(density=density), plots)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        for name, part in [("all", report), *report["splits"].items()]:
            if part["n"]:
                sys.stdout.write(
                    f"{name:<12} n={part['n']} mae={part['mae']:.2f} rmse={part['rmse']:.2f} "
                    f"relative_mae={part['relative_mae']:.3f}\n"
                )
        methods = [r["method"] for r in report["per_image"]]
        sys.stdout.write(
            f"methods: detector={methods.count('detector')} density={methods.count('density')}\n"
            f"split: {SPLIT_NOTE}\n"
        )
    return 0
