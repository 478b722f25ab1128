"""Shared helpers for detector tests: tiny ONNX models whose output is a known constant."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cctwin.types import Frame

ModelFactory = Callable[..., Path]


def _frame(width: int, height: int, value: int = 90, index: int = 1) -> Frame:
    return Frame(
        camera_id="cam",
        index=index,
        captured_at=datetime(2024, 1, 1, tzinfo=UTC),
        stream_time_s=0.0,
        image=np.full((height, width, 3), value, np.uint8),
    )


def write_constant_model(
    path: Path,
    output: np.ndarray,
    *,
    batch: int | None = None,
    input_width: int = 640,
    input_height: int = 640,
) -> Path:
    """An ONNX graph taking `images` [B, 3, H, W] and returning `output` repeated B times.

    The batch axis is dynamic unless `batch` is given. The input is consumed (its shape feeds
    an Expand) so the graph is valid and onnxruntime keeps the input.
    """
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    value = np.asarray(output, np.float32)[None]  # [1, D1, D2]
    batch_dim: int | str = batch if batch is not None else "batch"
    nodes = [
        helper.make_node("Shape", ["images"], ["input_shape"]),
        helper.make_node("Slice", ["input_shape", "zero", "one"], ["batch_size"]),
        helper.make_node("Concat", ["batch_size", "tail"], ["out_shape"], axis=0),
        helper.make_node("Expand", ["value", "out_shape"], ["output0"]),
    ]
    initializers = [
        numpy_helper.from_array(value, "value"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array(value.shape[1:], np.int64), "tail"),
    ]
    graph = helper.make_graph(
        nodes,
        "constant_yolo",
        [
            helper.make_tensor_value_info(
                "images", TensorProto.FLOAT, [batch_dim, 3, input_height, input_width]
            )
        ],
        [
            helper.make_tensor_value_info(
                "output0", TensorProto.FLOAT, [batch_dim, *value.shape[1:]]
            )
        ],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # old enough for any onnxruntime we support
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture
def constant_model(tmp_path: Path) -> ModelFactory:
    """Factory: constant_model(output, batch=None, name="model.onnx", ...) -> model path."""
    counter = iter(range(1_000_000))

    def build(output: np.ndarray, *, name: str | None = None, **kwargs: object) -> Path:
        path = tmp_path / (name or f"model{next(counter)}.onnx")
        return write_constant_model(path, output, **kwargs)  # type: ignore[arg-type]

    return build


@pytest.fixture
def make_frame() -> Callable[..., Frame]:
    """Factory: make_frame(width, height, value=90, index=1) -> a flat grey Frame."""
    return _frame
