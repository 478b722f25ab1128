"""Loitering and intrusion: rules on zone visits (how long, which class, when armed)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cctwin.analytics.zones import Visit, ZoneAnalyzer
from cctwin.config import IntrusionConfig, LoiteringConfig, ScheduleConfig, Weekday
from cctwin.messages import ObjectPayload
from cctwin.types import Event, EventKind, Frame

WEEKDAYS = list(Weekday)


def is_armed(schedule: ScheduleConfig | None, at: datetime) -> bool:
    """Whether a schedule covers an instant; a window with start > end spans midnight."""
    if schedule is None:
        return True
    local = at.astimezone(ZoneInfo(schedule.timezone))
    clock = local.time()
    if schedule.start <= schedule.end:
        in_window = schedule.start <= clock <= schedule.end
        day = WEEKDAYS[local.weekday()]
    else:
        in_window = clock >= schedule.start or clock <= schedule.end
        # After midnight the window belongs to the day it started on.
        day = WEEKDAYS[(local.weekday() - (clock <= schedule.end)) % 7]
    return in_window and day in schedule.days


class RuleAnalyzer:
    """Raises one event per zone visit that satisfies a loitering or intrusion rule."""

    def __init__(
        self,
        camera_id: str,
        zones: ZoneAnalyzer,
        loitering: list[LoiteringConfig],
        intrusion: list[IntrusionConfig],
    ) -> None:
        self.camera_id = camera_id
        self.zones = zones
        self.loitering = loitering
        self.intrusion = intrusion
        self._raised: set[tuple[str, int, float]] = set()

    def update(self, frame: Frame) -> list[Event]:
        events: list[Event] = []
        now_s = frame.stream_time_s
        for rule in self.loitering:
            for visit in self._current_visits(rule.zone, now_s):
                if visit.class_name in rule.classes and visit.dwell_s(now_s) >= rule.min_dwell_s:
                    events.extend(
                        self._raise(EventKind.LOITERING, rule.id, rule.zone, visit, frame)
                    )
        for intrusion in self.intrusion:
            if not is_armed(intrusion.schedule, frame.captured_at):
                continue
            for visit in self._current_visits(intrusion.zone, now_s):
                if visit.class_name not in intrusion.classes:
                    continue
                if visit.dwell_s(now_s) >= intrusion.min_dwell_s:
                    events.extend(
                        self._raise(EventKind.INTRUSION, intrusion.id, intrusion.zone, visit, frame)
                    )
        self._forget_finished_visits()
        return events

    def _current_visits(self, zone_id: str, now_s: float) -> list[Visit]:
        # Only objects inside right now; a visit waiting out its exit delay does not count.
        return [v for v in self.zones.visits[zone_id].values() if v.last_inside_s == now_s]

    def _raise(
        self, kind: EventKind, rule_id: str, zone_id: str, visit: Visit, frame: Frame
    ) -> list[Event]:
        key = (rule_id, visit.track_id, visit.entered_s)
        if key in self._raised:
            return []
        self._raised.add(key)
        return [
            Event(
                kind=kind,
                camera_id=self.camera_id,
                rule_id=rule_id,
                zone_id=zone_id,
                occurred_at=frame.captured_at,
                frame_index=frame.index,
                track_id=visit.track_id,
                class_name=visit.class_name,
                confidence=round(visit.confidence, 4),
                payload=ObjectPayload(dwell_s=round(visit.dwell_s(frame.stream_time_s), 3)),
                detected_monotonic_s=frame.received_monotonic_s,
            )
        ]

    def _forget_finished_visits(self) -> None:
        live = {
            (zone_id, visit.track_id, visit.entered_s)
            for zone_id, visits in self.zones.visits.items()
            for visit in visits.values()
        }
        rules: list[LoiteringConfig | IntrusionConfig] = [*self.loitering, *self.intrusion]
        zone_of = {r.id: r.zone for r in rules}
        self._raised = {k for k in self._raised if (zone_of[k[0]], k[1], k[2]) in live}
