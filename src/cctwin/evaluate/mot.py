"""MOTChallenge text files: `frame,id,left,top,width,height,conf,class,-1,-1` per line.

The eighth column holds the object's MOT17 class (1 pedestrian, 3 car, 4 bicycle,
5 motorbike, 8 other), as MOT17 ground truth does; -1 where unknown (MOT15 files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from cctwin.detect.labels import COCO_LABELS
from cctwin.errors import EvaluationError
from cctwin.types import Detections

PEDESTRIAN = 1
UNKNOWN_CLASS = -1
OTHER_CLASS = 8
# COCO names -> MOT17 class ids; MOT17 has one class for every road vehicle.
_MOT_CLASSES = {"person": 1, "car": 3, "bus": 3, "truck": 3, "bicycle": 4, "motorcycle": 5}
COCO_TO_MOT = np.array([_MOT_CLASSES.get(name, OTHER_CLASS) for name in COCO_LABELS], np.int64)


@dataclass(frozen=True)
class MotRows:
    """A MOT file as columns: frame (1-based), id, box left/top/width/height, confidence."""

    frame: npt.NDArray[np.int64]
    track_id: npt.NDArray[np.int64]
    ltwh: npt.NDArray[np.float64]
    confidence: npt.NDArray[np.float64]
    object_class: npt.NDArray[np.int64] | None = None  # MOT17 class per row; None = unknown

    def __len__(self) -> int:
        return len(self.frame)

    def classes(self) -> npt.NDArray[np.int64]:
        """The MOT17 class of each row, -1 where the file did not say."""
        if self.object_class is None:
            return np.full(len(self), UNKNOWN_CLASS, dtype=np.int64)
        return self.object_class

    def select(self, rows: npt.NDArray[np.bool_]) -> MotRows:
        return MotRows(
            self.frame[rows],
            self.track_id[rows],
            self.ltwh[rows],
            self.confidence[rows],
            None if self.object_class is None else self.object_class[rows],
        )

    def in_frames(self, first: int | None, last: int | None) -> MotRows:
        keep = np.ones(len(self), dtype=bool)
        if first is not None:
            keep &= self.frame >= first
        if last is not None:
            keep &= self.frame <= last
        return self.select(keep)


def read_mot(path: Path) -> MotRows:
    """Read a MOTChallenge file; a missing or malformed file is an EvaluationError."""
    if not path.is_file():
        raise EvaluationError(f"{path}: no such file")
    frames, ids, boxes, confs, classes = [], [], [], [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            parts = line.replace(" ", "").split(",")
            try:
                values = [float(p) for p in parts[:7]]
            except ValueError as exc:
                raise EvaluationError(f"{path}:{number}: not a MOT row: {line[:60]}") from exc
            if len(values) < 6:
                raise EvaluationError(f"{path}:{number}: expected at least 6 columns")
            frames.append(int(values[0]))
            ids.append(int(values[1]))
            boxes.append(values[2:6])
            confs.append(values[6] if len(values) > 6 else 1.0)
            classes.append(_mot_class(parts[7]) if len(parts) > 7 else UNKNOWN_CLASS)
    return MotRows(
        frame=np.asarray(frames, dtype=np.int64),
        track_id=np.asarray(ids, dtype=np.int64),
        ltwh=np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
        confidence=np.asarray(confs, dtype=np.float64),
        object_class=np.asarray(classes, dtype=np.int64),
    )


def _mot_class(text: str) -> int:
    """The eighth column as a MOT17 class; anything else (MOT15 world x, -1) is unknown."""
    try:
        value = float(text)
    except ValueError:
        return UNKNOWN_CLASS
    return int(value) if value.is_integer() and 1 <= value <= 12 else UNKNOWN_CLASS


def write_mot_rows(handle: TextIO, frame_index: int, detections: Detections) -> None:
    """Append one frame's objects (source pixels) in MOTChallenge format."""
    for box, track, confidence, mot_class in zip(
        detections.xyxy.tolist(),
        detections.track_id.tolist(),
        detections.confidence.tolist(),
        COCO_TO_MOT[detections.class_id].tolist(),
        strict=True,
    ):
        left, top, right, bottom = box
        handle.write(
            f"{frame_index},{track},{left:.2f},{top:.2f},{right - left:.2f},{bottom - top:.2f},"
            f"{confidence:.4f},{mot_class},-1,-1\n"
        )
