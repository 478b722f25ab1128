#!/usr/bin/env python3
"""Build the int8 copy of the bundled NanoDet-g (`detector.precision: int8`) from the float one.

Static quantisation with ONNX Runtime (QDQ format, int8 weights per output channel, uint8
activations with min-max ranges). The activation ranges are calibrated on street scenes
that are *not* the PETS 2009 clip the detector is evaluated on: crowd-street's photos,
frames of people-walking, and fire-cair's non-fire photos, each at the three input shapes
the product uses (416x416, 416x256 for 16:9 cameras, 768x576 for PETS-like 4:3 ones).

    .venv/bin/python tools/quantize_nanodet.py          # needs ../shared/data

Nothing here runs at run time; the product only loads the resulting file.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from rich.progress import track

from cctwin.detect.nanodet import MEAN, STD, bundled_model
from cctwin.detect.onnx import normalisation_table, normalise_into

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHAPES = ((416, 416), (256, 416), (576, 768))  # (height, width)
PER_SOURCE = 12


def calibration_images(data: Path) -> list[npt.NDArray[np.uint8]]:
    """A dozen images from each of three sources, none of them PETS."""
    images: list[npt.NDArray[np.uint8]] = []
    for folder in (data / "crowd-street/train_data/images", data / "fire-cair/normal_images"):
        paths = sorted(folder.glob("*.jpg"))
        for path in paths[:: max(1, len(paths) // PER_SOURCE)][:PER_SOURCE]:
            image = cv2.imread(str(path))
            if image is not None:
                images.append(np.asarray(image, dtype=np.uint8))
    with av.open(str(data / "people-walking/people-walking.mp4")) as clip:
        for index, frame in enumerate(clip.decode(video=0)):
            if index % 28 == 0:
                images.append(np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8))
            if index >= 28 * PER_SOURCE:
                break
    if not images:
        raise SystemExit(f"no calibration images under {data} (../shared/data is absent)")
    return images


class Calibration(CalibrationDataReader):  # type: ignore[misc]
    """Feeds every calibration image at every input shape, normalised as the detector does."""

    def __init__(self, input_name: str, images: list[npt.NDArray[np.uint8]]) -> None:
        self.blobs: Iterator[dict[str, npt.NDArray[np.float32]]] = iter(
            {input_name: self.blob(image, height, width)}
            for image in track(images, description="calibrating")
            for height, width in SHAPES
        )

    @staticmethod
    def blob(image: npt.NDArray[np.uint8], height: int, width: int) -> npt.NDArray[np.float32]:
        # Stretched and normalised exactly as the detector feeds the model.
        resized = np.asarray(cv2.resize(image, (width, height)), dtype=np.uint8)
        out = np.empty((1, 3, height, width), dtype=np.float32)
        normalise_into(out[0], resized, normalisation_table(MEAN, STD), rgb=False)
        return out

    def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
        return next(self.blobs, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=bundled_model("int8"))
    args = parser.parse_args()
    source = bundled_model("float32")
    images = calibration_images(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        import onnx

        input_name = onnx.load(str(prepared)).graph.input[0].name
        quantize_static(
            str(prepared),
            str(args.out),
            Calibration(input_name, images),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out}: {args.out.stat().st_size} bytes, sha256 {digest}, {len(images)} images")


if __name__ == "__main__":
    main()
