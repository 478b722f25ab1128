"""Line analytics: directional crossings of a tripwire and running counts per direction."""

from __future__ import annotations

from dataclasses import dataclass

from cctwin.config import LineConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import FloatArray, segments_intersect, side_of_line, to_pixels
from cctwin.messages import CrossingPayload
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
    """Where a track last stood clearly on one side of each line (0 = never off a line)."""

    anchor: FloatArray
    seen_s: float
    sides: list[float]


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

    def update(self, frame: Frame, detections: Detections) -> Analysis:
        result = Analysis()
        now_s = frame.stream_time_s
        anchors = detections.anchors()
        segments = [to_pixels(line.points, frame.width, frame.height) for line in self.lines]
        for row, track in enumerate(detections.track_id.tolist()):
            current = anchors[row]
            sides = [float(side_of_line(current[None], *segment)[0]) for segment in segments]
            previous = self._last.get(track)
            if previous is None:
                self._last[track] = _LastPosition(current, now_s, sides)
                continue
            previous.seen_s = now_s
            name = COCO_LABELS[int(detections.class_id[row])]
            for index, (line, segment) in enumerate(zip(self.lines, segments, strict=True)):
                before, after = previous.sides[index], sides[index]
                if after == 0:
                    continue  # standing on the line: wait until it is clearly on one side
                crossed = (
                    before != 0
                    and (before > 0) != (after > 0)
                    and name in line.classes
                    and segments_intersect(previous.anchor, current, segment[0], segment[1])
                )
                previous.sides[index] = after
                if not crossed:
                    continue
                left_to_right = before < 0 < after
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
                        payload=CrossingPayload(direction=direction),
                        detected_monotonic_s=frame.received_monotonic_s,
                    )
                )
            if all(side != 0 for side in sides):
                previous.anchor = current
        for track, last in list(self._last.items()):
            if now_s - last.seen_s > self.forget_after_s:
                del self._last[track]
        result.observations.extend(self._count_observations(frame))
        return result

    def _count_observations(self, frame: Frame) -> list[Observation]:
        due = self._reported_s is None or frame.stream_time_s - self._reported_s >= self.interval_s
        if not self.lines or not due:
            return []
        self._reported_s = frame.stream_time_s
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
