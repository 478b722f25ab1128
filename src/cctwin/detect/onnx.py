"""What every ONNX detector shares: the session, resizing frames into a batch, class filters, NMS."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.config import NanoDetConfig, YoloConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.errors import ModelError
from cctwin.types import Detections, Frame

FloatArray = npt.NDArray[np.float32]


def load_session(model: Path, threads: int, provider: str, graph: bytes | None = None) -> Any:
    """An ONNX Runtime session (of `graph` when given, an edited copy of `model`).

    Fails with ModelError naming the file.
    """
    import onnxruntime as ort

    if not model.is_file():
        raise ModelError(f"{model}: model file not found")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads otherwise spin, burning the CPU that stream decoders and the other
    # analysis processes need (8 x 416x256 NanoDet, 2 threads, under load: 181 ms of CPU per
    # batch spinning, 137 ms not, and no slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    available = ort.get_available_providers()
    wanted = ["CPUExecutionProvider"]
    if provider in ("cuda", "auto") and "CUDAExecutionProvider" in available:
        wanted.insert(0, "CUDAExecutionProvider")
    elif provider == "cuda":
        raise ModelError("provider 'cuda' asked for, but onnxruntime has no CUDA provider here")
    try:
        source = graph if graph is not None else str(model)
        return ort.InferenceSession(source, options, providers=wanted)
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"{model}: cannot load ONNX model: {exc}") from exc


def fixed_batch(session: Any) -> int | None:
    """The batch size the model insists on, or None when the batch axis is dynamic."""
    dim = session.get_inputs()[0].shape[0]
    return dim if isinstance(dim, int) else None


class ClassFilter:
    """Which model classes we keep and the minimum confidence for each."""

    def __init__(self, config: NanoDetConfig | YoloConfig, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        keep = set(config.classes)
        self.thresholds = np.full(len(labels), np.inf, dtype=np.float32)
        for model_id, name in enumerate(labels):
            if name in keep:
                self.thresholds[model_id] = config.class_confidence.get(name, config.confidence)
        self.lowest = float(self.thresholds.min()) if np.isfinite(self.thresholds).any() else 1.0
        # Map the model's ids to COCO ids so every backend speaks the same class table.
        self.to_coco = np.array(
            [COCO_LABELS.index(n) if n in COCO_LABELS else -1 for n in labels], dtype=np.int32
        )


def resize_batch(
    frames: Sequence[Frame], width: int, height: int, mean: FloatArray, std: FloatArray, rgb: bool
) -> FloatArray:
    """Stretch each frame to the model size and normalise into one NCHW float32 batch."""
    batch = np.empty((len(frames), 3, height, width), dtype=np.float32)
    table = normalisation_table(mean, std)
    for i, frame in enumerate(frames):
        image: npt.NDArray[np.uint8] = frame.image
        if image.shape[1] != width or image.shape[0] != height:
            image = np.asarray(cv2.resize(image, (width, height)), dtype=np.uint8)
        normalise_into(batch[i], image, table, rgb)
    return batch


def normalisation_table(mean: FloatArray, std: FloatArray) -> FloatArray:
    """(value - mean) / std for each of the 256 values of each channel, (3, 256) float32.

    Computed exactly as on a whole frame, so looking pixels up gives the same float32
    numbers, about 8x faster.
    """
    steps = np.arange(256, dtype=np.float32)[:, None]
    return np.ascontiguousarray(((steps - mean) / std).astype(np.float32).T)


def normalise_into(
    out: FloatArray, image_bgr: npt.NDArray[np.uint8], table: FloatArray, rgb: bool
) -> None:
    """Write a BGR image as normalised CHW planes (RGB order when `rgb`) into `out`."""
    planes = cv2.split(image_bgr)
    for channel in range(3):
        plane = planes[2 - channel] if rgb else planes[channel]
        out[channel] = cv2.LUT(plane, table[channel].reshape(1, 256))


def nms(boxes: FloatArray, scores: FloatArray, classes: npt.NDArray[np.int32], iou: float) -> Any:
    """Per-class non-maximum suppression; returns kept indices, best first."""
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    # Offsetting boxes by class keeps classes apart in one class-agnostic pass.
    offset = classes.astype(np.float32)[:, None] * (float(boxes.max() - boxes.min()) + 1.0)
    shifted = boxes + offset
    xywh = np.concatenate([shifted[:, :2], shifted[:, 2:] - shifted[:, :2]], axis=1)
    kept = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), 0.0, iou)
    return np.asarray(kept, dtype=np.int64).reshape(-1)


def finish(
    boxes: FloatArray,
    scores: FloatArray,
    model_classes: npt.NDArray[np.int32],
    class_filter: ClassFilter,
    nms_iou: float,
    scale_x: float,
    scale_y: float,
    frame: Frame,
) -> Detections:
    """Threshold per class, NMS, scale to frame pixels and clip: the last step of every backend."""
    keep = scores >= class_filter.thresholds[model_classes]
    boxes, scores, model_classes = boxes[keep], scores[keep], model_classes[keep]
    kept = nms(boxes, scores, model_classes, nms_iou)
    boxes, scores, model_classes = boxes[kept], scores[kept], model_classes[kept]
    boxes = boxes * np.array([scale_x, scale_y, scale_x, scale_y], dtype=np.float32)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, frame.width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, frame.height)
    return Detections(
        xyxy=boxes.astype(np.float32),
        confidence=scores.astype(np.float32),
        class_id=class_filter.to_coco[model_classes],
    )
