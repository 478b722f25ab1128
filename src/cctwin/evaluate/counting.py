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

from cctwin.errors import EvaluationError
from cctwin.evaluate.inputs import Skips, content_hash, list_images, read_hash_list, read_image

TUNING_HASHES = (
    Path(__file__).resolve().parents[1]
    / "analytics"
    / "crowd"
    / "models"
    / ("hybrid-counter.tuning.sha256")
)
SPLIT_NOTE = (
    "tuned_on = images the hybrid counter's settings were chosen on (content hashes in "
    "analytics/crowd/models/hybrid-counter.tuning.sha256: crowd-street's development half and "
    "ShanghaiTech A's two photos); not_tuned_on = every other image; tuned-on images are "
    "skipped unless --include-training"
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


def ground_truth_points(dataset: Path, stem: str) -> npt.NDArray[np.float64]:
    """Annotated head points (x, y): ShanghaiTech GT_<stem>.mat or a <stem>.json point list."""
    mat = dataset / "ground-truth" / f"GT_{stem}.mat"
    if mat.is_file():
        from scipy.io import loadmat

        info = loadmat(str(mat))["image_info"]
        return np.asarray(info[0, 0][0, 0][0], dtype=np.float64).reshape(-1, 2)
    for candidate in (dataset / "ground-truth" / f"{stem}.json", dataset / f"{stem}.json"):
        if candidate.is_file():
            data = json.loads(candidate.read_text())
            points = data.get("points", data) if isinstance(data, dict) else data
            return np.asarray(points, dtype=np.float64).reshape(-1, 2)
    raise FileNotFoundError(f"{dataset}: no ground truth for {stem}")


def ground_truth_count(dataset: Path, stem: str) -> int:
    """Number of annotated heads (see `ground_truth_points`), or a JSON {"count": n}."""
    path = dataset / "ground-truth" / f"{stem}.json"
    if path.is_file() and not (dataset / "ground-truth" / f"GT_{stem}.mat").is_file():
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "count" in data:
            return int(data["count"])
    return len(ground_truth_points(dataset, stem))


_T = TypeVar("_T")


def development_half(items: list[_T]) -> tuple[list[_T], list[_T]]:
    """Split items in sorted-image-name order into the development and held-out halves."""
    half = (len(items) + 1) // 2
    return items[:half], items[half:]


def evaluate_counting(
    dataset: Path,
    counter: Counter,
    plots: Path | None = None,
    tuned: frozenset[str] = frozenset(),
    include_tuned: bool = False,
    skips: Skips | None = None,
) -> dict[str, Any]:
    """Count every image under DIR/images/ and compare with its annotation.

    Images whose content hash is in `tuned` are skipped, or with `include_tuned` scored and
    reported apart. Unreadable images and images without readable ground truth are skipped;
    the report's `skipped_*` counts say how many (and `skips`, if given, lists them).
    EvaluationError when the folder is missing or holds no image.
    """
    from rich.console import Console
    from rich.progress import Progress

    skips = Skips() if skips is None else skips
    images = list_images(dataset / "images")
    tuned_names = {p.name for p in images if tuned and content_hash(p) in tuned}
    if not include_tuned:
        skips.trained_on.extend(sorted(tuned_names))
        images = [p for p in images if p.name not in tuned_names]
    per_image: list[dict[str, Any]] = []
    maps: dict[str, Overlay] = {}
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("counting", total=len(images))
        for path in images:
            row = _count_one(dataset, path, counter, maps, skips)
            if row is not None:
                row["tuned_on"] = path.name in tuned_names
                per_image.append(row)
            progress.advance(task)
    parts = (
        ("tuned_on", [r for r in per_image if r["tuned_on"]]),
        ("not_tuned_on", [r for r in per_image if not r["tuned_on"]]),
    )
    report: dict[str, Any] = {
        **_metrics(per_image),
        **skips.as_dict(),
        "per_image": per_image,
        "splits": {
            name: {**_metrics(rows), "images": [r["image"] for r in rows]} for name, rows in parts
        },
        "split_note": SPLIT_NOTE,
    }
    if plots is not None and per_image:
        _plot(dataset, per_image, maps, plots)
    return report


def _truth(dataset: Path, path: Path, skips: Skips) -> int | None:
    """The annotated count, or None after recording why there is none."""
    try:
        return ground_truth_count(dataset, path.stem)
    except FileNotFoundError:
        skips.no_truth.append(path.name)
    except (OSError, ValueError, KeyError, IndexError, TypeError, NotImplementedError):
        # scipy raises several of these on a truncated or foreign .mat; json on bad text.
        skips.bad_truth.append(path.name)
    return None


def _count_one(
    dataset: Path, path: Path, counter: Counter, maps: dict[str, Overlay], skips: Skips
) -> dict[str, Any] | None:
    image = read_image(path)
    if image is None:
        skips.unreadable.append(path.name)
        return None
    truth = _truth(dataset, path, skips)
    if truth is None:
        return None
    result = counter.count(image)
    row: dict[str, Any] = {
        "image": path.name,
        "gt": truth,
        "pred": round(float(result.count), 2),
        # A plain density model has no method attribute: it is always the density path.
        "method": str(getattr(result, "method", "density")),
    }
    if hasattr(result, "detector_count"):
        row["detector_count"] = int(result.detector_count)
        row["density_count"] = round(float(result.density_count), 2)
    if getattr(result, "density_cells", 0):
        row["density_corrected"] = round(float(result.density_corrected), 2)
        row["density_per_cell"] = round(float(result.density_corrected) / result.density_cells, 4)
    at_half = getattr(result, "density_corrected_at_half", None)
    corrected = float(getattr(result, "density_corrected", 0.0))
    if at_half is not None and corrected > 0:
        # The share CSRNet still sees with the input halved (a texture falls away).
        row["density_kept_at_half"] = round(float(at_half) / corrected, 3)
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
    dataset: Path,
    as_json: bool,
    plots: Path | None,
    density_model: Path | None = None,
    include_training: bool = False,
) -> int:
    """`cctwin eval counting`: prints the report (JSON, or a short summary) and returns 0/2.

    density_model replaces the bundled CSRNet file (default csrnet-int8.onnx) inside the
    hybrid counter. Images the counter was tuned on are skipped unless include_training.
    """
    from cctwin.analytics.crowd.density import DensityCounter
    from cctwin.analytics.crowd.hybrid import HybridCounter

    if density_model is not None and not density_model.is_file():
        sys.stderr.write(f"{density_model}: density model not found\n")
        return 2
    try:
        list_images(dataset / "images")
    except EvaluationError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    density = DensityCounter(model=density_model) if density_model is not None else None
    skips = Skips()
    report = evaluate_counting(
        dataset,
        HybridCounter(density=density),
        plots,
        read_hash_list(TUNING_HASHES),
        include_training,
        skips,
    )
    skips.report(report["n"], "ground truth")
    if not report["n"]:
        sys.stderr.write(skips.nothing_left(dataset) + "\n")
        return 2
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
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
