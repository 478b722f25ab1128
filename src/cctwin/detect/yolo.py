"""Bring-your-own YOLO ONNX backend: YOLOv5 ([B, N, 5+C]) and YOLOv8/11 ([B, 4+C, N]) layouts."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from cctwin.config import YoloConfig
from cctwin.detect.onnx import ClassFilter, FloatArray, finish, fixed_batch, load_session
from cctwin.errors import ModelError
from cctwin.types import Detections, Frame

PAD_VALUE = 114  # Ultralytics letterbox grey


class YoloDetector:
    """Letterboxes frames to the model size (RGB / 255) and decodes either YOLO layout."""

    def __init__(self, config: YoloConfig) -> None:
        self.config = config
        self.session = load_session(config.model, config.threads, config.provider)
        self.input_name = self.session.get_inputs()[0].name
        self.batch_limit = fixed_batch(self.session)
        self.filter = ClassFilter(config, config.labels)

    def detect(self, frames: Sequence[Frame]) -> list[Detections]:
        step = self.batch_limit or self.config.batch_size
        results: list[Detections] = []
        for start in range(0, len(frames), step):
            results.extend(self._detect_batch(frames[start : start + step]))
        return results

    def _letterbox(self, frame: Frame) -> tuple[FloatArray, float, float, float]:
        width, height = self.config.input_width, self.config.input_height
        ratio = min(width / frame.width, height / frame.height)
        new_w, new_h = round(frame.width * ratio), round(frame.height * ratio)
        pad_x, pad_y = (width - new_w) / 2, (height - new_h) / 2
        canvas = np.full((height, width, 3), PAD_VALUE, dtype=np.uint8)
        left, top = round(pad_x - 0.1), round(pad_y - 0.1)
        canvas[top : top + new_h, left : left + new_w] = cv2.resize(frame.image, (new_w, new_h))
        chw = canvas[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0
        return chw, ratio, float(left), float(top)

    def _detect_batch(self, frames: Sequence[Frame]) -> list[Detections]:
        prepared = [self._letterbox(f) for f in frames]
        batch = np.stack([p[0] for p in prepared])
        output = np.asarray(self.session.run(None, {self.input_name: batch})[0], np.float32)
        n_labels = len(self.config.labels)
        if self.config.layout == "v5":
            if output.ndim != 3 or output.shape[2] != 5 + n_labels:
                raise ModelError(f"YOLOv5 output {output.shape} does not match {n_labels} labels")
            rows = output
            class_scores = rows[:, :, 5:] * rows[:, :, 4:5]
        else:
            if output.ndim != 3 or output.shape[1] != 4 + n_labels:
                raise ModelError(
                    f"YOLOv8/11 output {output.shape} does not match {n_labels} labels"
                )
            rows = output.transpose(0, 2, 1)
            class_scores = rows[:, :, 4:]
        results = []
        for i, frame in enumerate(frames):
            _, ratio, left, top = prepared[i]
            best = class_scores[i].argmax(axis=1).astype(np.int32)
            score = class_scores[i][np.arange(len(best)), best]
            candidates = score >= self.filter.lowest
            cx, cy, w, h = rows[i][candidates, :4].T
            boxes = np.stack(
                [cx - w / 2 - left, cy - h / 2 - top, cx + w / 2 - left, cy + h / 2 - top], 1
            )
            results.append(
                finish(
                    (boxes / ratio).astype(np.float32),
                    score[candidates].astype(np.float32),
                    best[candidates],
                    self.filter,
                    self.config.nms_iou,
                    1.0,
                    1.0,
                    frame,
                )
            )
        return results
