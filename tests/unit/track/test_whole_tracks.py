"""`cctwin analyze` writes whole tracks: boxes from before a track's confirmation included."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cctwin.analyze import FileSink
from cctwin.evaluate.mot import read_mot
from cctwin.pipeline import StepResult
from cctwin.track.tracker import EarlierBoxes
from cctwin.types import Analysis, Detections, Frame


def _frame(index: int, scale: float) -> Frame:
    image = np.zeros((10, 10, 3), np.uint8)
    return Frame("cam", index, datetime(2026, 12, 6, tzinfo=UTC), (index - 1) / 10, image, scale)


def _box(x: float, track_id: int) -> Detections:
    return Detections(
        xyxy=np.array([[x, 10, x + 20, 50]], np.float32),
        confidence=np.array([0.9], np.float32),
        class_id=np.array([0], np.int32),
        track_id=np.array([track_id], np.int64),
    )


def test_earlier_boxes_go_under_their_own_frames_at_their_own_scale(tmp_path: Path) -> None:
    sink = FileSink(tmp_path, None)
    empty = Detections.empty()
    # Frames 1-3 analysed at half size (scale 2), nothing confirmed yet.
    for index in (1, 2, 3):
        sink.on_step(None, StepResult(_frame(index, 2.0), empty, empty, Analysis()))  # type: ignore[arg-type]
    # Frame 4 confirms track 7, which the tracker had seen in frames 2 and 3.
    earlier = [EarlierBoxes(0.1, _box(10, 7)), EarlierBoxes(0.2, _box(12, 7))]
    # One more from a frame the sink never saw: it cannot be placed, so it is not written.
    earlier.append(EarlierBoxes(99.0, _box(50, 7)))
    step = StepResult(_frame(4, 2.0), empty, _box(14, 7), Analysis(), earlier)
    sink.on_step(None, step)  # type: ignore[arg-type]
    sink.close()
    rows = read_mot(tmp_path / "tracks.txt")
    assert sorted(rows.frame.tolist()) == [2, 3, 4]
    assert set(rows.track_id.tolist()) == {7}
    by_frame = dict(zip(rows.frame.tolist(), rows.ltwh[:, 0].tolist(), strict=True))
    assert by_frame == {2: 20.0, 3: 24.0, 4: 28.0}  # analysis pixels x 2
    assert sink.earlier_rows == 2
