"""Loitering and intrusion rules, schedules (is_armed), and CameraAnalytics as a whole."""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cctwin.analytics.camera import CameraAnalytics
from cctwin.analytics.rules import RuleAnalyzer, is_armed
from cctwin.analytics.zones import ZoneAnalyzer
from cctwin.config import (
    AnalyticsConfig,
    IntrusionConfig,
    LineConfig,
    LoiteringConfig,
    ScheduleConfig,
    Weekday,
    ZoneConfig,
)
from cctwin.types import Detections, Direction, Event, EventKind, Frame

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2024, 3, 4, 9, 0, 0, tzinfo=UTC)
CAMERA = "cam1"
PERSON, CAR = 0, 2
SQUARE = [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]
INSIDE = (50.0, 50.0)
OUTSIDE = (50.0, 95.0)
LOITER, INTRUDE = EventKind.LOITERING, EventKind.INTRUSION

Obj = tuple[int, tuple[float, float], int, float]


def make_frame(index: int, t: float, start: datetime = T0) -> Frame:
    return Frame(
        camera_id=CAMERA,
        index=index,
        captured_at=start + timedelta(seconds=t),
        stream_time_s=t,
        image=np.zeros((100, 100, 3), np.uint8),
    )


def make_detections(objects: Sequence[Obj]) -> Detections:
    if not objects:
        return Detections.empty()
    return Detections(
        xyxy=np.array([[x - 5, y - 20, x + 5, y] for _, (x, y), _, _ in objects], np.float32),
        confidence=np.array([c for *_, c in objects], np.float32),
        class_id=np.array([k for _, _, k, _ in objects], np.int32),
        track_id=np.array([t for t, *_ in objects], np.int64),
    )


def person(track: int, anchor: tuple[float, float]) -> Obj:
    return (track, anchor, PERSON, 0.9)


def car(track: int, anchor: tuple[float, float]) -> Obj:
    return (track, anchor, CAR, 0.8)


def analytics(
    loitering: Sequence[LoiteringConfig] = (),
    intrusion: Sequence[IntrusionConfig] = (),
    zone_classes: Sequence[str] = ("person",),
    lines: Sequence[LineConfig] = (),
    exit_after_s: float = 1.5,
) -> CameraAnalytics:
    config = AnalyticsConfig(
        zones=[ZoneConfig(id="yard", polygon=SQUARE, classes=list(zone_classes))],
        lines=list(lines),
        loitering=list(loitering),
        intrusion=list(intrusion),
        exit_after_s=exit_after_s,
    )
    return CameraAnalytics(CAMERA, config)


def run(
    ca: CameraAnalytics,
    script: Sequence[Sequence[Obj]],
    step_s: float = 0.5,
    start: datetime = T0,
    kinds: tuple[EventKind, ...] = (LOITER, INTRUDE),
) -> list[Event]:
    events: list[Event] = []
    for i, objects in enumerate(script):
        result = ca.update(make_frame(i + 1, i * step_s, start), make_detections(objects))
        events += [e for e in result.events if e.kind in kinds]
    return events


def summary(events: Sequence[Event]) -> list[tuple[int, EventKind, str, int, float | None]]:
    return [(e.frame_index, e.kind, e.rule_id, e.track_id, e.dwell_s) for e in events]


# --- loitering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_dwell_s", "frame", "dwell"),
    [(2.0, 6, 2.0), (1.9, 6, 2.0), (2.1, 7, 2.5), (0.4, 3, 0.5), (4.5, 11, 4.5)],
)
def test_loitering_fires_once_when_dwell_reaches_min(
    min_dwell_s: float, frame: int, dwell: float
) -> None:
    ca = analytics(loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=min_dwell_s)])
    # Outside at t = 0, inside t = 0.5 .. 5.0 (entered at 0.5).
    script = [[person(1, OUTSIDE)]] + [[person(1, INSIDE)]] * 10
    assert summary(run(ca, script)) == [(frame, LOITER, "linger", 1, dwell)]


def test_loitering_fires_again_after_a_real_exit_and_reentry() -> None:
    ca = analytics(loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=2.0)])
    script = (
        [[person(1, INSIDE)]] * 6  # t 0 .. 2.5 -> fires at t 2.0 (frame 5)
        + [[person(1, OUTSIDE)]] * 4  # t 3.0 .. 4.5 -> exit at 2.5 + 1.5 = 4.0 (frame 9)
        + [[person(1, INSIDE)]] * 6  # t 5.0 .. 7.5 -> new visit, fires at 7.0 (frame 15)
    )
    assert summary(run(ca, script)) == [
        (5, LOITER, "linger", 1, 2.0),
        (15, LOITER, "linger", 1, 2.0),
    ]


def test_loitering_does_not_fire_again_after_a_short_absence() -> None:
    ca = analytics(loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=1.0)])
    script = (
        [[person(1, INSIDE)]] * 4  # fires at t 1.0 (frame 3)
        + [[person(1, OUTSIDE)]] * 2  # out for 1.0 s < exit_after_s: same visit
        + [[person(1, INSIDE)]] * 6
    )
    assert summary(run(ca, script)) == [(3, LOITER, "linger", 1, 1.0)]


def test_loitering_needs_the_object_inside_now() -> None:
    # Inside t = 0 .. 1.5, then outside; the visit lasts until t = 3.0 (exit delay) but the
    # object was only inside for 1.5 s, so a 2 s loitering rule never fires.
    ca = analytics(loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=2.0)])
    script = [[person(1, INSIDE)]] * 4 + [[person(1, OUTSIDE)]] * 6
    assert run(ca, script) == []


@pytest.mark.parametrize(
    ("rule_classes", "obj", "fires"),
    [
        (["person"], person(1, INSIDE), True),
        (["car"], person(1, INSIDE), False),
        (["car"], car(1, INSIDE), True),
        (["person"], car(1, INSIDE), False),
    ],
)
def test_loitering_class_filter(rule_classes: list[str], obj: Obj, fires: bool) -> None:
    rule = LoiteringConfig(id="linger", zone="yard", min_dwell_s=1.0, classes=rule_classes)
    ca = analytics(loitering=[rule], zone_classes=("person", "car"))
    events = run(ca, [[obj]] * 5)
    assert summary(events) == ([(3, LOITER, "linger", 1, 1.0)] if fires else [])
    if fires:
        assert events[0].class_name == ("person" if obj[2] == PERSON else "car")


def test_loitering_fires_per_track() -> None:
    ca = analytics(loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=1.0)])
    script = [[person(1, INSIDE)]] * 2 + [[person(1, INSIDE), person(2, (30, 30))]] * 4
    assert summary(run(ca, script)) == [
        (3, LOITER, "linger", 1, 1.0),
        (5, LOITER, "linger", 2, 1.0),
    ]


def test_loitering_event_fields() -> None:
    ca = analytics(loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=1.0)])
    (event,) = run(ca, [[person(4, INSIDE)]] * 3)
    assert event.kind is EventKind.LOITERING
    assert event.camera_id == CAMERA
    assert event.rule_id == "linger"
    assert event.zone_id == "yard"
    assert event.occurred_at == T0 + timedelta(seconds=1.0)
    assert event.frame_index == 3
    assert event.track_id == 4
    assert event.class_name == "person"
    assert event.confidence == 0.9
    assert event.dwell_s == 1.0
    assert event.direction is None


# --- intrusion -------------------------------------------------------------------------------


def test_intrusion_without_schedule_fires_on_entry_once_per_visit() -> None:
    ca = analytics(intrusion=[IntrusionConfig(id="keepout", zone="yard")])
    script = (
        [[person(1, OUTSIDE)]]
        + [[person(1, INSIDE)]] * 3  # enters at frame 2
        + [[]] * 4  # exit at t 1.5 + 1.5 = 3.0 (frame 7)
        + [[person(1, INSIDE)]] * 2  # new visit at frame 9
    )
    assert summary(run(ca, script)) == [
        (2, INTRUDE, "keepout", 1, 0.0),
        (9, INTRUDE, "keepout", 1, 0.0),
    ]


@pytest.mark.parametrize(("min_dwell_s", "frame"), [(0.0, 2), (1.0, 4), (1.2, 5), (2.0, 6)])
def test_intrusion_min_dwell(min_dwell_s: float, frame: int) -> None:
    rule = IntrusionConfig(id="keepout", zone="yard", min_dwell_s=min_dwell_s)
    ca = analytics(intrusion=[rule])
    script = [[person(1, OUTSIDE)]] + [[person(1, INSIDE)]] * 8  # entered at t 0.5
    events = run(ca, script)
    assert [(e.frame_index, e.kind) for e in events] == [(frame, INTRUDE)]
    assert events[0].dwell_s == (frame - 2) * 0.5


def test_intrusion_class_filter() -> None:
    rule = IntrusionConfig(id="keepout", zone="yard", classes=["car"])
    ca = analytics(intrusion=[rule], zone_classes=("person", "car"))
    events = run(ca, [[person(1, INSIDE), car(2, (30, 30))]] * 3)
    assert summary(events) == [(1, INTRUDE, "keepout", 2, 0.0)]
    assert events[0].class_name == "car"


NIGHT = ScheduleConfig(start=time(22, 0), end=time(6, 0), timezone="Asia/Seoul")
FRIDAY_NIGHT = ScheduleConfig(
    days=[Weekday.FRI], start=time(22, 0), end=time(6, 0), timezone="Asia/Seoul"
)


def kst(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in March 2024, Korean time (1 March 2024 is a Friday)."""
    return datetime(2024, 3, day, hour, minute, second, tzinfo=KST)


@pytest.mark.parametrize(
    ("schedule", "start", "fires"),
    [
        (NIGHT, kst(6, 23, 30), True),  # Wednesday 23:30 KST
        (NIGHT, kst(6, 12, 0), False),  # Wednesday noon
        (FRIDAY_NIGHT, kst(2, 2, 0), True),  # Saturday 02:00: Friday's night
        (FRIDAY_NIGHT, kst(3, 2, 0), False),  # Sunday 02:00: Saturday's night
        (FRIDAY_NIGHT, kst(1, 23, 0), True),  # Friday 23:00
        (FRIDAY_NIGHT, kst(1, 2, 0), False),  # Friday 02:00: Thursday's night
    ],
)
def test_intrusion_respects_its_schedule(
    schedule: ScheduleConfig, start: datetime, fires: bool
) -> None:
    ca = analytics(intrusion=[IntrusionConfig(id="night", zone="yard", schedule=schedule)])
    events = run(ca, [[person(1, INSIDE)]] * 3, start=start.astimezone(UTC))
    assert summary(events) == ([(1, INTRUDE, "night", 1, 0.0)] if fires else [])


def test_intrusion_fires_when_the_schedule_arms_during_a_visit() -> None:
    ca = analytics(intrusion=[IntrusionConfig(id="night", zone="yard", schedule=NIGHT)])
    # Frames every second from 21:59:57 KST; the object is inside from the first frame.
    events = run(ca, [[person(1, INSIDE)]] * 6, step_s=1.0, start=kst(6, 21, 59, 57))
    assert summary(events) == [(4, INTRUDE, "night", 1, 3.0)]
    assert events[0].occurred_at == kst(6, 22, 0, 0)


def test_intrusion_fires_once_while_armed_and_not_after_disarming() -> None:
    # Armed 10:00:00-10:00:01 UTC; the object stays inside from 09:59:59 to 10:00:03.
    schedule = ScheduleConfig(start=time(10, 0, 0), end=time(10, 0, 1), timezone="UTC")
    ca = analytics(intrusion=[IntrusionConfig(id="brief", zone="yard", schedule=schedule)])
    start = datetime(2024, 3, 6, 9, 59, 59, tzinfo=UTC)
    events = run(ca, [[person(1, INSIDE)]] * 5, step_s=1.0, start=start)
    assert summary(events) == [(2, INTRUDE, "brief", 1, 1.0)]


def test_rule_analyzer_directly() -> None:
    zones = ZoneAnalyzer(CAMERA, [ZoneConfig(id="yard", polygon=SQUARE)], 1.5, 1.0)
    rules = RuleAnalyzer(
        CAMERA,
        zones,
        [LoiteringConfig(id="linger", zone="yard", min_dwell_s=1.0)],
        [IntrusionConfig(id="keepout", zone="yard")],
    )
    fired = []
    for i in range(4):
        frame = make_frame(i + 1, i * 0.5)
        zones.update(frame, make_detections([person(8, INSIDE)]))
        fired += [(e.frame_index, e.kind, e.rule_id) for e in rules.update(frame)]
    assert fired == [(1, INTRUDE, "keepout"), (3, LOITER, "linger")]


# --- schedules -------------------------------------------------------------------------------

WEEKDAYS_9_TO_6 = ScheduleConfig(
    days=[Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
    start=time(9, 0),
    end=time(18, 0),
    timezone="Asia/Seoul",
)
SUNDAY_NIGHT = ScheduleConfig(
    days=[Weekday.SUN], start=time(22, 0), end=time(6, 0), timezone="Asia/Seoul"
)
UTC_NIGHT = ScheduleConfig(start=time(22, 0), end=time(6, 0), timezone="UTC")


@pytest.mark.parametrize(
    ("schedule", "at", "armed"),
    [
        (None, kst(6, 12, 0), True),
        (NIGHT, kst(6, 23, 30), True),
        (NIGHT, kst(6, 12, 0), False),
        (NIGHT, kst(6, 22, 0), True),  # start is inclusive
        (NIGHT, kst(6, 21, 59, 59), False),
        (NIGHT, kst(7, 6, 0), True),  # end is inclusive
        (NIGHT, kst(7, 6, 0, 1), False),
        (NIGHT, kst(7, 0, 0), True),  # midnight
        # The same instant in UTC: 14:30 UTC is 23:30 KST.
        (NIGHT, datetime(2024, 3, 6, 14, 30, tzinfo=UTC), True),
        (UTC_NIGHT, datetime(2024, 3, 6, 14, 30, tzinfo=UTC), False),
        (UTC_NIGHT, kst(7, 8, 0), True),  # 23:00 UTC
        # Days across midnight: the early hours belong to the day the window started.
        (FRIDAY_NIGHT, kst(1, 22, 0), True),  # Fri 22:00
        (FRIDAY_NIGHT, kst(2, 2, 0), True),  # Sat 02:00
        (FRIDAY_NIGHT, kst(2, 6, 0), True),  # Sat 06:00
        (FRIDAY_NIGHT, kst(3, 2, 0), False),  # Sun 02:00
        (FRIDAY_NIGHT, kst(2, 23, 0), False),  # Sat 23:00
        (FRIDAY_NIGHT, kst(1, 2, 0), False),  # Fri 02:00 (Thursday's night)
        (SUNDAY_NIGHT, kst(4, 2, 0), True),  # Mon 02:00 wraps back to Sunday
        (SUNDAY_NIGHT, kst(3, 23, 0), True),  # Sun 23:00
        (SUNDAY_NIGHT, kst(3, 2, 0), False),  # Sun 02:00 (Saturday's night)
        # A same-day window on weekdays.
        (WEEKDAYS_9_TO_6, kst(4, 10, 0), True),  # Mon 10:00
        (WEEKDAYS_9_TO_6, kst(2, 10, 0), False),  # Sat 10:00
        (WEEKDAYS_9_TO_6, kst(4, 8, 59, 59), False),
        (WEEKDAYS_9_TO_6, kst(8, 18, 0), True),  # Fri 18:00
        (WEEKDAYS_9_TO_6, kst(8, 18, 0, 1), False),
        # Friday 23:30 UTC is already Saturday 08:30 in Seoul: the weekday is the local one.
        (WEEKDAYS_9_TO_6, datetime(2024, 3, 1, 23, 30, tzinfo=UTC), False),
        (WEEKDAYS_9_TO_6, datetime(2024, 3, 1, 1, 30, tzinfo=UTC), True),  # Fri 10:30 KST
    ],
)
def test_is_armed(schedule: ScheduleConfig | None, at: datetime, armed: bool) -> None:
    assert is_armed(schedule, at) is armed


def test_default_schedule_is_armed_every_day() -> None:
    schedule = ScheduleConfig()
    for day in range(4, 11):  # Monday 4 March .. Sunday 10 March
        assert is_armed(schedule, kst(day, 0, 0))
        assert is_armed(schedule, kst(day, 12, 0))
        assert is_armed(schedule, kst(day, 23, 59, 59))


def test_default_schedule_is_armed_in_the_last_second_of_the_day() -> None:
    at = datetime(2024, 3, 6, 23, 59, 59, 500000, tzinfo=KST)
    assert is_armed(ScheduleConfig(), at)


# --- CameraAnalytics -------------------------------------------------------------------------


def test_camera_analytics_orders_zone_rule_then_line_events() -> None:
    ca = analytics(
        intrusion=[IntrusionConfig(id="keepout", zone="yard")],
        lines=[LineConfig(id="gate", points=[(0.0, 0.5), (1.0, 0.5)])],
    )
    ca.update(make_frame(1, 0.0), make_detections([person(1, (50, 95))]))
    result = ca.update(make_frame(2, 0.5), make_detections([person(1, (50, 40))]))
    assert [(e.kind, e.rule_id) for e in result.events] == [
        (EventKind.ZONE_ENTER, "yard"),
        (EventKind.INTRUSION, "keepout"),
        (EventKind.LINE_CROSS, "gate"),
    ]
    # Walked up across a left-to-right line: right-hand side -> left-hand side, i.e. `out`.
    assert result.events[2].direction is Direction.OUT
    assert [(o.kind.value, o.rule_id, o.value) for o in result.observations] == [
        ("occupancy", "yard", 1.0),
    ]


@pytest.mark.parametrize(("gap_frames", "counted"), [(3, True), (4, True), (5, False)])
def test_camera_analytics_forgets_line_positions_after_twice_exit_after_s(
    gap_frames: int, counted: bool
) -> None:
    # exit_after_s = 1.0 -> a line forgets a track unseen for more than 2.0 s: frames every
    # 0.5 s, so after 4 empty frames (unseen 2.0 s) it is kept, after 5 (2.5 s) forgotten.
    ca = analytics(lines=[LineConfig(id="gate", points=[(0.0, 0.5), (1.0, 0.5)])], exit_after_s=1.0)
    script = [[person(1, (10, 60))]] + [[]] * gap_frames + [[person(1, (10, 40))]]
    events = run(ca, script, kinds=(EventKind.LINE_CROSS,))
    assert len(events) == int(counted)


def test_event_ids_are_deterministic_and_distinct() -> None:
    def all_ids() -> list[str]:
        ca = analytics(
            loitering=[LoiteringConfig(id="linger", zone="yard", min_dwell_s=1.0)],
            intrusion=[IntrusionConfig(id="keepout", zone="yard")],
            lines=[LineConfig(id="gate", points=[(0.0, 0.5), (1.0, 0.5)])],
        )
        script = [[person(1, (50, 95)), person(2, INSIDE)]] + [[person(1, (50, 40))]] * 4
        script += [[]] * 4
        events = run(ca, script, kinds=tuple(EventKind))
        return [e.id for e in events]

    first, second = all_ids(), all_ids()
    assert first == second
    assert len(first) == len(set(first))
    # enter x2, intrusion x2, loitering (track 1 only: 2 is gone), line cross, exit x2
    assert len(first) == 8
