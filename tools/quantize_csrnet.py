#!/usr/bin/env python3
"""Build an int8 copy of the bundled CSRNet density model (`csrnet-int8.onnx`) from the float one.

Static quantisation with ONNX Runtime (QDQ format, int8 weights per output channel, min-max
activation ranges) calibrated on the *development* half of the ShanghaiTech A sample only,
split exactly as `cctwin eval counting` splits it (first half of the sorted image names, i.e.
IMG_1; IMG_51 is held out and never read here). Each development image is fed at the sizes
the product uses (native max side 1024, two 1024x384-style horizontal bands, max side 640)
and mirrored, preprocessed exactly as `DensityCounter` does. The first conv (3 input
channels: cheap, and its input is the normalised image) and the 1x1 output conv (whose
output is the density itself; quantising it shifts the per-cell background floor that the
hybrid switch subtracts) stay float32 by default. `--mode dynamic` builds the dynamically
quantised variant (weights only, ConvInteger) for comparison.

    .venv/bin/python tools/quantize_csrnet.py          # needs ../shared/data

Nothing here runs at run time; the product only loads the resulting file.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.crowd.density import DEFAULT_MODEL, FLOAT_MODEL
from cctwin.evaluate.counting import development_half

DATASET = Path(__file__).resolve().parents[2] / "shared" / "data" / "crowd-shanghaitech-a"
DEFAULT_OUT = DEFAULT_MODEL
FIRST_CONV = "/frontend/frontend.0/Conv"
OUTPUT_CONV = "/output_layer/Conv"
# Same normalisation as cctwin.analytics.crowd.density (ImageNet mean/std on RGB in 0-1).
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def development_images(dataset: Path) -> list[Path]:
    """The development half of DATASET/images/*.jpg, as `cctwin eval counting` splits it."""
    images = sorted((dataset / "images").glob("*.jpg"))
    if not images:
        raise SystemExit(f"{dataset}/images: no .jpg images (../shared/data is absent?)")
    development, _ = development_half(images)
    return development


def blob(image_bgr: npt.NDArray[np.uint8], max_side: int = 1024) -> npt.NDArray[np.float32]:
    """The model input for one BGR image, computed exactly as `DensityCounter.count` does."""
    h, w = image_bgr.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    nw, nh = max(8, round(w * scale / 8) * 8), max(8, round(h * scale / 8) * 8)
    resized = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_AREA)
    rgb = resized[:, :, ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(((rgb - MEAN) / STD).transpose(2, 0, 1)[None])


def calibration_views(image: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
    """The whole image at max side 1024 and 640, its top and bottom half bands; and mirrored."""
    views: list[npt.NDArray[np.float32]] = []
    h = image.shape[0]
    for source in (image, np.ascontiguousarray(image[:, ::-1])):
        views.append(blob(source))
        views.append(blob(source, max_side=640))
        views.append(blob(np.ascontiguousarray(source[: h // 2])))
        views.append(blob(np.ascontiguousarray(source[h - h // 2 :])))
    return views


def _reader(input_name: str, images: list[Path]) -> object:
    from onnxruntime.quantization import CalibrationDataReader

    class Calibration(CalibrationDataReader):  # type: ignore[misc]
        """Feeds every view of every development image, one at a time."""

        def __init__(self) -> None:
            self.blobs: Iterator[dict[str, npt.NDArray[np.float32]]] = (
                {input_name: view} for path in images for view in calibration_views(_read(path))
            )

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            return next(self.blobs, None)

    return Calibration()


def _read(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path))
    if image is None:
        raise SystemExit(f"{path}: unreadable image")
    return np.asarray(image, dtype=np.uint8)


def quantise(
    source: Path,
    out: Path,
    dataset: Path,
    mode: str,
    activations: str,
    keep_float: list[str],
) -> list[Path]:
    """Write the quantised model to OUT; returns the calibration images used (none if dynamic)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        if mode == "dynamic":
            quantize_dynamic(
                str(prepared),
                str(out),
                op_types_to_quantize=["Conv"],
                per_channel=True,
                weight_type=QuantType.QUInt8,
                nodes_to_exclude=keep_float,
            )
            return []
        images = development_images(dataset)
        input_name = onnx.load(str(prepared)).graph.input[0].name
        quantize_static(
            str(prepared),
            str(out),
            _reader(input_name, images),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8 if activations == "uint8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            # MinMax reduces each tensor to two numbers per image; the histogram methods keep
            # every full-size activation of every view in memory (several GB here).
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=keep_float,
            calibration_providers=["CPUExecutionProvider"],
        )
        return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=FLOAT_MODEL, help="float32 CSRNet")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--dataset", type=Path, default=DATASET, help="images/ + ground-truth/")
    parser.add_argument("--mode", choices=("static", "dynamic"), default="static")
    parser.add_argument("--activations", choices=("uint8", "int8"), default="uint8")
    parser.add_argument(
        "--keep-float",
        nargs="*",
        default=[FIRST_CONV, OUTPUT_CONV],
        metavar="NODE",
        help=f"node names left in float32 (default: {FIRST_CONV} {OUTPUT_CONV})",
    )
    args = parser.parse_args()
    used = quantise(
        args.source,
        args.out,
        args.dataset,
        args.mode,
        args.activations,
        list(args.keep_float),
    )
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    names = ", ".join(p.name for p in used) or "none (dynamic)"
    print(f"{args.out}: {args.out.stat().st_size} bytes, sha256 {digest}; calibration: {names}")


if __name__ == "__main__":
    main()
