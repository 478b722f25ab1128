"""Line analytics: directional crossings of a tripwire and running counts per direction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cctwin.config import LineConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import FloatArray, segments_intersect, side_of_line, to_pixels
from cctwin.types import (
    Analysis,
    Detections,
    Direction,
    Event,
    EventKind,
    Frame,
    Observation,
    ObservationKind,
)


@dataclass
class _LastPosition:
    anchor: FloatArray
    seen_s: float


class LineAnalyzer:
    """A crossing is the track's anchor moving from one side of the segment to the other."""

    def __init__(
        self, camera_id: str, lines: list[LineConfig], forget_after_s: float, interval_s: float
    ) -> None:
        self.camera_id = camera_id
        self.lines = lines
        self.forget_after_s = forget_after_s
        self.interval_s = interval_s
        self.counts: dict[str, dict[Direction, int]] = {
            line.id: {Direction.IN: 0, Direction.OUT: 0} for line in lines
        }
        self._last: dict[int, _LastPosition] = {}
        self._reported_s: float | None = None
        self._reported_counts: dict[str, dict[Direction, int]] = {}

    def update(self, frame: Frame, detections: Detections) -> Analysis:
        result = Analysis()
        now_s = frame.stream_time_s
        anchors = detections.anchors()
        segments = [to_pixels(line.points, frame.width, frame.height) for line in self.lines]
        for row, track in enumerate(detections.track_id.tolist()):
            previous = self._last.get(track)
            current = anchors[row]
            self._last[track] = _LastPosition(current, now_s)
            if previous is None:
                continue
            name = COCO_LABELS[int(detections.class_id[row])]
            for line, segment in zip(self.lines, segments, strict=True):
                if name not in line.classes:
                    continue
                if not segments_intersect(previous.anchor, current, segment[0], segment[1]):
                    continue
                before, after = side_of_line(np.stack([previous.anchor, current]), *segment)
                if before == after or (before > 0) == (after > 0):
                    continue  # touched the line but did not change sides
                left_to_right = before > 0 > after
                forward = left_to_right == (line.in_direction == "left_to_right")
                direction = Direction.IN if forward else Direction.OUT
                self.counts[line.id][direction] += 1
                result.events.append(
                    Event(
                        kind=EventKind.LINE_CROSS,
                        camera_id=self.camera_id,
                        rule_id=line.id,
                        occurred_at=frame.captured_at,
                        frame_index=frame.index,
                        track_id=track,
                        class_name=name,
                        confidence=round(float(detections.confidence[row]), 4),
                        direction=direction,
                        detected_monotonic_s=frame.received_monotonic_s,
                    )
                )
        for track, last in list(self._last.items()):
            if now_s - last.seen_s > self.forget_after_s:
                del self._last[track]
        result.observations.extend(self._count_observations(frame))
        return result

    def _count_observations(self, frame: Frame) -> list[Observation]:
        changed = self._reported_counts != self.counts
        due = self._reported_s is None or frame.stream_time_s - self._reported_s >= self.interval_s
        if not self.lines or not (changed and due):
            return []
        self._reported_s = frame.stream_time_s
        self._reported_counts = {k: dict(v) for k, v in self.counts.items()}
        kinds = {
            Direction.IN: ObservationKind.LINE_COUNT_IN,
            Direction.OUT: ObservationKind.LINE_COUNT_OUT,
        }
        return [
            Observation(
                kind=kinds[direction],
                camera_id=self.camera_id,
                rule_id=line_id,
                observed_at=frame.captured_at,
                value=float(count),
            )
            for line_id, counts in self.counts.items()
            for direction, count in counts.items()
        ]
