"""Appearance embeddings: the detector's own stride-8 backbone features pooled in each box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# NanoDet-g's last stride-8 CSP stage (128 channels), named alike in the float32 and int8
# copies. On PETS frames 1-200 its pooled boxes told one person from a neighbour about as well
# as the FPN and head maps did (same-id vs other-id AUC 0.76 for all), and it is the cheapest.
FEATURE_TENSOR = "concat_27"
FEATURE_STRIDE = 8
# Horizontal bands pooled separately (head and shoulders, torso, legs): clothes differ by band,
# and one mean over the whole box blurs a red top on dark trousers into a brown person.
BANDS = 3
# Box edges are mostly background; the middle 60 % of the width is the person.
INNER_WIDTH = 0.6


def graph_with_outputs(model: Path, tensors: tuple[str, ...]) -> bytes:
    """The ONNX graph of `model` with the named inner tensors added as outputs (in memory)."""
    import onnx

    proto = onnx.load(str(model))
    present = {name for node in proto.graph.node for name in node.output}
    missing = [t for t in tensors if t not in present]
    if missing:
        raise KeyError(f"{model}: no tensors {missing}")
    for tensor in tensors:
        proto.graph.output.append(
            onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None)
        )
    return bytes(proto.SerializeToString())


def pool_boxes(features: FloatArray, boxes: FloatArray, stride: int = FEATURE_STRIDE) -> FloatArray:
    """One L2-normalised vector per box from a (C, h, w) map; boxes in model-input pixels.

    The frame's mean feature is subtracted so that what every box shares (the scene, the
    class "person") does not dominate the cosine between two different people.
    """
    channels = features.shape[0]
    if len(boxes) == 0:
        return np.zeros((0, channels * BANDS), dtype=np.float32)
    top, bottom, left, right = band_cells(boxes, stride, features.shape[1], features.shape[2])
    # Slicing each band beats a summed-area table of the map even for 300 boxes (7 vs 11 ms).
    means = np.stack(
        [
            features[:, y0:y1, x0:x1].mean(axis=(1, 2))
            for y0, y1, x0, x1 in zip(
                top.ravel().tolist(),
                bottom.ravel().tolist(),
                np.repeat(left, BANDS).tolist(),
                np.repeat(right, BANDS).tolist(),
                strict=True,
            )
        ]
    )
    # The mean of (map - frame mean) over a band is the band's mean minus the frame mean.
    parts = means - features.mean(axis=(1, 2))
    parts /= np.linalg.norm(parts, axis=1, keepdims=True) + 1e-6
    out = parts.reshape(len(boxes), BANDS * channels)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.maximum(norms, 1e-6), dtype=np.float32)


def band_cells(
    boxes: FloatArray, stride: int, rows: int, cols: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Grid rows [top, bottom) of each box's bands (n, BANDS) and columns [left, right) (n,)."""
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    margin = (1 - INNER_WIDTH) / 2 * (x2 - x1)
    left = np.clip(np.floor((x1 + margin) / stride), 0, cols - 1).astype(np.int64)
    right = np.maximum(left + 1, np.clip(np.ceil((x2 - margin) / stride), 0, cols)).astype(np.int64)
    edges = y1[:, None] + (y2 - y1)[:, None] * np.arange(BANDS + 1)[None, :] / BANDS
    top = np.clip(np.floor(edges[:, :-1] / stride), 0, rows - 1).astype(np.int64)
    bottom = np.maximum(top + 1, np.clip(np.ceil(edges[:, 1:] / stride), 0, rows)).astype(np.int64)
    return top, bottom, left, right
