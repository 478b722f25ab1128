"""MOTChallenge text files: `frame,id,left,top,width,height,conf,-1,-1,-1` per line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from cctwin.errors import EvaluationError
from cctwin.types import Detections


@dataclass(frozen=True)
class MotRows:
    """A MOT file as columns: frame (1-based), id, box left/top/width/height, confidence."""

    frame: npt.NDArray[np.int64]
    track_id: npt.NDArray[np.int64]
    ltwh: npt.NDArray[np.float64]
    confidence: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.frame)

    def select(self, rows: npt.NDArray[np.bool_]) -> MotRows:
        return MotRows(
            self.frame[rows], self.track_id[rows], self.ltwh[rows], self.confidence[rows]
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
    frames, ids, boxes, confs = [], [], [], []
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
    return MotRows(
        frame=np.asarray(frames, dtype=np.int64),
        track_id=np.asarray(ids, dtype=np.int64),
        ltwh=np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
        confidence=np.asarray(confs, dtype=np.float64),
    )


def write_mot_rows(handle: TextIO, frame_index: int, detections: Detections) -> None:
    """Append one frame's objects (source pixels) in MOTChallenge format."""
    for box, track, confidence in zip(
        detections.xyxy.tolist(),
        detections.track_id.tolist(),
        detections.confidence.tolist(),
        strict=True,
    ):
        left, top, right, bottom = box
        handle.write(
            f"{frame_index},{track},{left:.2f},{top:.2f},{right - left:.2f},{bottom - top:.2f},"
            f"{confidence:.4f},-1,-1,-1\n"
        )
