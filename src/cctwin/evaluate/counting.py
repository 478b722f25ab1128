"""Crowd-counting evaluation: MAE, RMSE and relative MAE against point annotations."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt


class Counter(Protocol):
    """Anything that counts people in a BGR image (DensityCounter does)."""

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


def evaluate_counting(dataset: Path, counter: Counter, plots: Path | None = None) -> dict[str, Any]:
    """Count every DIR/images/*.jpg and compare with its annotation."""
    images = sorted((dataset / "images").glob("*.jpg"))
    if not images:
        raise FileNotFoundError(f"{dataset}/images: no .jpg images")
    per_image: list[dict[str, Any]] = []
    maps: dict[str, npt.NDArray[np.float32]] = {}
    for path in images:
        image = cv2.imread(str(path))
        if image is None:
            raise ValueError(f"{path}: unreadable image")
        result = counter.count(np.asarray(image, dtype=np.uint8))
        gt = ground_truth_count(dataset, path.stem)
        per_image.append({"image": path.name, "gt": gt, "pred": round(float(result.count), 2)})
        if hasattr(result, "density_map"):
            maps[path.name] = result.density_map
    err = np.array([r["pred"] - r["gt"] for r in per_image], dtype=np.float64)
    gts = np.array([max(r["gt"], 1) for r in per_image], dtype=np.float64)
    report: dict[str, Any] = {
        "mae": float(np.abs(err).mean()),
        "rmse": float(math.sqrt(float((err**2).mean()))),
        # gt of 0 would divide by zero; treat it as 1 person so empty scenes still count.
        "relative_mae": float((np.abs(err) / gts).mean()),
        "n": len(per_image),
        "per_image": per_image,
    }
    if plots is not None:
        _plot(dataset, per_image, maps, plots)
    return report


def _plot(
    dataset: Path,
    per_image: list[dict[str, Any]],
    maps: dict[str, npt.NDArray[np.float32]],
    out: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
        if row["image"] in maps:
            h, w = image.shape[:2]
            ax.imshow(cv2.resize(maps[row["image"]], (w, h)), cmap="jet", alpha=0.45)
        ax.set_title(f"{row['image']} gt {row['gt']} pred {row['pred']:.1f}")
        ax.axis("off")
    fig.savefig(out / "worst.png", dpi=80)
    plt.close(fig)


def counting_eval_command(dataset: Path, as_json: bool, plots: Path | None) -> int:
    """`cctwin eval counting`: prints the report (JSON, or a short summary) and returns 0/2."""
    from cctwin.analytics.crowd.density import DensityCounter

    if not (dataset / "images").is_dir():
        sys.stderr.write(f"{dataset}: no images/ folder\n")
        return 2
    report = evaluate_counting(dataset, DensityCounter(), plots)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write(
            f"n={report['n']} mae={report['mae']:.2f} rmse={report['rmse']:.2f} "
            f"relative_mae={report['relative_mae']:.3f}\n"
        )
    return 0
