"""The int8 CSRNet copy (tools/quantize_csrnet.py) counts like the float32 model it came from."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics.crowd.density import DEFAULT_MODEL, FLOAT_MODEL, DensityCounter

INT8_MODEL = DEFAULT_MODEL

pytestmark = pytest.mark.skipif(
    not (INT8_MODEL.is_file() and FLOAT_MODEL.is_file()),
    reason="csrnet-int8.onnx not built (tools/quantize_csrnet.py)",
)


def synthetic_crowd(height: int, width: int, heads: int, seed: int) -> npt.NDArray[np.uint8]:
    """A noisy background packed with small head-and-shoulder blobs (dark hair, skin face)."""
    rng = np.random.default_rng(seed)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = (90, 110, 130)
    image = np.asarray(cv2.add(image, rng.integers(0, 40, image.shape, dtype=np.uint8)))
    for _ in range(heads):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(3, 7))
        clothes = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.circle(image, (x, y + r), r + 2, clothes, -1)
        cv2.circle(image, (x, y), r, (80, 120, 190), -1)
        cv2.ellipse(image, (x, y - r // 2), (r, r // 2 + 1), 0, 180, 360, (20, 20, 25), -1)
    return image


@pytest.fixture(scope="module")
def counters() -> tuple[DensityCounter, DensityCounter]:
    return DensityCounter(FLOAT_MODEL, threads=1), DensityCounter(INT8_MODEL, threads=1)


def test_int8_file_is_really_quantised() -> None:
    import onnx

    graph = onnx.load(str(INT8_MODEL), load_external_data=False).graph
    ops = {node.op_type for node in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert any(init.data_type == onnx.TensorProto.INT8 for init in graph.initializer)


@pytest.mark.parametrize(
    ("heads", "seed", "tolerance"),
    [(400, 0, 0.03), (1500, 1, 0.03), (40, 0, 0.10)],
    ids=["dense", "packed", "sparse"],
)
def test_int8_count_matches_float32(
    counters: tuple[DensityCounter, DensityCounter], heads: int, seed: int, tolerance: float
) -> None:
    image = synthetic_crowd(240, 320, heads=heads, seed=seed)
    reference, quantised = (c.count(image) for c in counters)
    # Measured for the shipped file: +0.2% (dense), -0.7% (packed), -2.3% (sparse; the sum
    # there is mostly CSRNet's per-cell background floor), and -0.3% / -0.2% on ShanghaiTech
    # A. A copy with the 1x1 output conv quantised too moves the sparse sum by -38% and the
    # dynamic (ConvInteger) copy the packed one by +3.1%: both fail here.
    assert reference.count > 3.0
    assert quantised.density_map.shape == reference.density_map.shape
    assert quantised.count == pytest.approx(reference.count, rel=tolerance)
    assert float(np.abs(quantised.density_map - reference.density_map).max()) < 0.03
