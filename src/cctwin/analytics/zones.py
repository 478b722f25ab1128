"""Zone analytics: who entered, left or stayed in each polygon, and how many are inside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from cctwin.config import ZoneConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import PreparedPolygon, to_pixels
from cctwin.messages import ObjectPayload
from cctwin.types import Analysis, Detections, Event, EventKind, Frame, Observation, ObservationKind


@dataclass
class Visit:
    """One track's stay in one zone, in frame time."""

    track_id: int
    class_name: str
    entered_at: datetime
    entered_s: float
    last_inside_s: float
    confidence: float
    first_frame: int

    def dwell_s(self, now_s: float) -> float:
        return now_s - self.entered_s


class ZoneAnalyzer:
    """Enter and exit events per zone and track, occupancy observations per zone.

    A track leaves a zone when it has been outside (or unseen) for `exit_after_s`, so a
    box jittering on the boundary or a short occlusion does not produce a burst of events.
    """

    def __init__(
        self,
        camera_id: str,
        zones: list[ZoneConfig],
        exit_after_s: float,
        observation_interval_s: float,
    ) -> None:
        self.camera_id = camera_id
        self.zones = zones
        self.exit_after_s = exit_after_s
        self.observation_interval_s = observation_interval_s
        self.visits: dict[str, dict[int, Visit]] = {z.id: {} for z in zones}
        self._polygons: dict[tuple[str, int, int], PreparedPolygon] = {}
        self._reported: dict[str, tuple[int, float]] = {}

    def _polygon(self, zone: ZoneConfig, frame: Frame) -> PreparedPolygon:
        key = (zone.id, frame.width, frame.height)
        if key not in self._polygons:
            self._polygons[key] = PreparedPolygon.of(
                to_pixels(zone.polygon, frame.width, frame.height)
            )
        return self._polygons[key]

    def update(self, frame: Frame, detections: Detections) -> Analysis:
        result = Analysis()
        now_s = frame.stream_time_s
        anchors = detections.anchors()
        names = [COCO_LABELS[c] for c in detections.class_id]
        for zone in self.zones:
            wanted = np.array([n in zone.classes for n in names], dtype=bool)
            inside = self._polygon(zone, frame).contains(anchors) & wanted
            visits = self.visits[zone.id]
            for row in np.flatnonzero(inside):
                track_id = int(detections.track_id[row])
                visit = visits.get(track_id)
                if visit is None:
                    visit = Visit(
                        track_id=track_id,
                        class_name=names[row],
                        entered_at=frame.captured_at,
                        entered_s=now_s,
                        last_inside_s=now_s,
                        confidence=float(detections.confidence[row]),
                        first_frame=frame.index,
                    )
                    visits[track_id] = visit
                    result.events.append(self._event(EventKind.ZONE_ENTER, zone, visit, frame))
                visit.last_inside_s = now_s
                visit.confidence = float(detections.confidence[row])
            for track_id, visit in list(visits.items()):
                if now_s - visit.last_inside_s >= self.exit_after_s:
                    del visits[track_id]
                    event = self._event(EventKind.ZONE_EXIT, zone, visit, frame)
                    result.events.append(event)
            result.observations.extend(self._occupancy(zone, frame))
        return result

    def _event(self, kind: EventKind, zone: ZoneConfig, visit: Visit, frame: Frame) -> Event:
        dwell = None if kind is EventKind.ZONE_ENTER else visit.last_inside_s - visit.entered_s
        return Event(
            kind=kind,
            camera_id=self.camera_id,
            rule_id=zone.id,
            zone_id=zone.id,
            occurred_at=frame.captured_at,
            frame_index=frame.index,
            track_id=visit.track_id,
            class_name=visit.class_name,
            confidence=round(visit.confidence, 4),
            payload=ObjectPayload(dwell_s=None if dwell is None else round(dwell, 3)),
            detected_monotonic_s=frame.received_monotonic_s,
        )

    def _occupancy(self, zone: ZoneConfig, frame: Frame) -> list[Observation]:
        count = len(self.visits[zone.id])
        last = self._reported.get(zone.id)
        due = last is None or frame.stream_time_s - last[1] >= self.observation_interval_s
        if last is not None and last[0] == count and not due:
            return []
        self._reported[zone.id] = (count, frame.stream_time_s)
        return [
            Observation(
                kind=ObservationKind.OCCUPANCY,
                camera_id=self.camera_id,
                rule_id=zone.id,
                observed_at=frame.captured_at,
                value=float(count),
            )
        ]
