"""ZoneAnalyzer on scripted trajectories: enter/exit events and occupancy observations."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from cctwin.analytics.zones import ZoneAnalyzer
from cctwin.config import ZoneConfig
from cctwin.types import Detections, EventKind, Frame, ObservationKind

T0 = datetime(2024, 3, 4, 9, 0, 0, tzinfo=UTC)
CAMERA = "cam1"
PERSON, CAR = 0, 2
# Pixels 20..80 of a 100x100 frame.
SQUARE = [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]
INSIDE = (50.0, 50.0)
OUTSIDE = (50.0, 95.0)

# One object in a frame: (track_id, (anchor_x, anchor_y), class_id, confidence).
Obj = tuple[int, tuple[float, float], int, float]


def make_frame(index: int, t: float, width: int = 100, height: int = 100) -> Frame:
    return Frame(
        camera_id=CAMERA,
        index=index,
        captured_at=T0 + timedelta(seconds=t),
        stream_time_s=t,
        image=np.zeros((height, width, 3), np.uint8),
    )


def person(track: int, anchor: tuple[float, float], confidence: float = 0.9) -> Obj:
    return (track, anchor, PERSON, confidence)


def car(track: int, anchor: tuple[float, float], confidence: float = 0.9) -> Obj:
    return (track, anchor, CAR, confidence)


def make_detections(objects: Sequence[Obj]) -> Detections:
    """Boxes 10 wide and 20 tall whose bottom centre is the given anchor."""
    if not objects:
        return Detections.empty()
    return Detections(
        xyxy=np.array([[x - 5, y - 20, x + 5, y] for _, (x, y), _, _ in objects], np.float32),
        confidence=np.array([c for *_, c in objects], np.float32),
        class_id=np.array([k for _, _, k, _ in objects], np.int32),
        track_id=np.array([t for t, *_ in objects], np.int64),
    )


def analyzer(
    zones: list[ZoneConfig] | None = None, exit_after_s: float = 1.5, interval_s: float = 1.0
) -> ZoneAnalyzer:
    zones = zones if zones is not None else [ZoneConfig(id="lobby", polygon=SQUARE)]
    return ZoneAnalyzer(CAMERA, zones, exit_after_s, interval_s)


def run(za: ZoneAnalyzer, script: Sequence[Sequence[Obj]], step_s: float = 0.5) -> list:
    """Feed frames 1, 2, ... at t = 0, step, 2*step ...; return (frame, kind, track, dwell)."""
    events = []
    for i, objects in enumerate(script):
        result = za.update(make_frame(i + 1, i * step_s), make_detections(objects))
        events += [(e.frame_index, e.kind, e.track_id, e.dwell_s) for e in result.events]
    return events


ENTER, EXIT = EventKind.ZONE_ENTER, EventKind.ZONE_EXIT


@pytest.mark.parametrize(
    "after",
    [
        pytest.param([person(7, OUTSIDE)], id="seen-outside"),
        pytest.param([], id="unseen"),
    ],
)
def test_enter_once_then_exit_after_delay(after: list[Obj]) -> None:
    # t = 0 outside; 0.5 .. 2.0 inside; 2.5 .. 4.5 outside or unseen.
    script = [[person(7, OUTSIDE)]] + [[person(7, INSIDE)]] * 4 + [after] * 5
    events = run(analyzer(exit_after_s=1.5), script)
    # Last inside at t = 2.0, so the exit is due at t = 3.5 (frame 8).
    assert events == [(2, ENTER, 7, None), (8, EXIT, 7, 1.5)]


@pytest.mark.parametrize(
    ("exit_after_s", "exit_frame"),
    [(0.5, 6), (1.0, 7), (1.4, 8), (1.5, 8), (1.6, 9), (3.0, 11)],
)
def test_exit_frame_depends_on_exit_after_s(exit_after_s: float, exit_frame: int) -> None:
    script = [[person(1, INSIDE)]] * 5 + [[]] * 8  # inside t = 0 .. 2.0, then unseen
    events = run(analyzer(exit_after_s=exit_after_s), script)
    assert events == [(1, ENTER, 1, None), (exit_frame, EXIT, 1, 2.0)]


def test_no_exit_or_new_enter_when_back_inside_within_the_delay() -> None:
    # Out (t = 1.0 .. 1.5) for less than exit_after_s, then back in: one continuous visit.
    script = [[person(3, INSIDE)]] * 2 + [[person(3, OUTSIDE)]] * 2 + [[person(3, INSIDE)]] * 3
    za = analyzer(exit_after_s=1.5)
    assert run(za, script) == [(1, ENTER, 3, None)]
    assert list(za.visits["lobby"]) == [3]
    assert za.visits["lobby"][3].entered_s == 0.0


def test_a_new_visit_after_a_real_exit_gets_a_new_enter() -> None:
    script = (
        [[person(3, INSIDE)]] * 2  # t 0, 0.5
        + [[person(3, OUTSIDE)]] * 4  # t 1.0 .. 2.5 -> exit at 0.5 + 1.5 = 2.0 (frame 5)
        + [[person(3, INSIDE)]] * 2  # t 3.0, 3.5 -> enter again at frame 7
    )
    assert run(analyzer(exit_after_s=1.5), script) == [
        (1, ENTER, 3, None),
        (5, EXIT, 3, 0.5),
        (7, ENTER, 3, None),
    ]


@pytest.mark.parametrize(
    ("box", "inside"),
    [
        ((45, 60, 55, 90), False),  # centre (50, 75) inside, feet (50, 90) below the zone
        ((45, 0, 55, 30), True),  # centre (50, 15) above the zone, feet (50, 30) inside
        ((65, 40, 75, 79), True),  # feet (70, 79) just inside the bottom-right corner
        ((10, 40, 20, 60), False),  # feet (15, 60) left of the zone
    ],
)
def test_inside_is_decided_by_the_bottom_centre_anchor(
    box: tuple[float, float, float, float], inside: bool
) -> None:
    dets = Detections(
        xyxy=np.array([box], np.float32),
        confidence=np.array([0.9], np.float32),
        class_id=np.array([PERSON], np.int32),
        track_id=np.array([1], np.int64),
    )
    kinds = [e.kind for e in analyzer().update(make_frame(1, 0.0), dets).events]
    assert kinds == ([ENTER] if inside else [])


def test_enter_event_fields() -> None:
    za = analyzer()
    event = za.update(make_frame(5, 2.0), make_detections([person(42, INSIDE, 0.87654321)]))
    (enter,) = event.events
    assert enter.kind is EventKind.ZONE_ENTER
    assert enter.camera_id == CAMERA
    assert enter.rule_id == "lobby"
    assert enter.zone_id == "lobby"
    assert enter.occurred_at == T0 + timedelta(seconds=2)
    assert enter.frame_index == 5
    assert enter.track_id == 42
    assert enter.class_name == "person"
    assert enter.confidence == 0.8765
    assert enter.dwell_s is None
    assert enter.direction is None


def test_exit_event_reports_the_last_confidence_and_dwell() -> None:
    za = analyzer(exit_after_s=1.0)
    za.update(make_frame(1, 0.0), make_detections([person(1, INSIDE, 0.5)]))
    za.update(make_frame(2, 1.0), make_detections([person(1, INSIDE, 0.75)]))
    za.update(make_frame(3, 1.5), make_detections([]))
    (exit_event,) = za.update(make_frame(4, 2.0), make_detections([])).events
    assert exit_event.kind is EventKind.ZONE_EXIT
    assert exit_event.confidence == 0.75
    assert exit_event.dwell_s == 1.0
    assert exit_event.frame_index == 4
    assert exit_event.occurred_at == T0 + timedelta(seconds=2)


@pytest.mark.parametrize(
    ("zone_classes", "obj", "enters"),
    [
        (["person"], car(1, INSIDE), False),
        (["person"], person(1, INSIDE), True),
        (["car"], person(1, INSIDE), False),
        (["car"], car(1, INSIDE), True),
        (["person", "car"], car(1, INSIDE), True),
    ],
)
def test_class_filter(zone_classes: list[str], obj: Obj, enters: bool) -> None:
    za = analyzer([ZoneConfig(id="z", polygon=SQUARE, classes=zone_classes)])
    events = run(za, [[obj]] * 3)
    assert events == ([(1, ENTER, 1, None)] if enters else [])
    assert len(za.visits["z"]) == (1 if enters else 0)


def test_class_name_of_the_enter_event() -> None:
    za = analyzer([ZoneConfig(id="z", polygon=SQUARE, classes=["person", "car"])])
    result = za.update(make_frame(1, 0.0), make_detections([car(9, INSIDE), person(4, INSIDE)]))
    assert [(e.track_id, e.class_name) for e in result.events] == [(9, "car"), (4, "person")]


def test_overlapping_zones_each_get_their_own_events() -> None:
    left = ZoneConfig(id="left", polygon=[(0, 0), (0.6, 0), (0.6, 1), (0, 1)])
    right = ZoneConfig(id="right", polygon=[(0.4, 0), (1, 0), (1, 1), (0.4, 1)])
    za = ZoneAnalyzer(CAMERA, [left, right], 1.0, 1.0)
    frames = [[person(1, (20, 50))], [person(1, (50, 50))], [person(1, (80, 50))]] + [[]] * 3
    events = []
    for i, objects in enumerate(frames):
        result = za.update(make_frame(i + 1, i * 0.5), make_detections(objects))
        events += [(e.frame_index, e.kind, e.rule_id) for e in result.events]
    assert events == [
        (1, ENTER, "left"),
        (2, ENTER, "right"),
        # last inside `left` at t = 0.5 -> exit at 1.5 (frame 4); `right` at 1.0 -> 2.0.
        (4, EXIT, "left"),
        (5, EXIT, "right"),
    ]


def test_polygon_follows_the_frame_size() -> None:
    za = analyzer()
    wide = make_detections([person(1, (100, 50)), person(2, (30, 50))])  # x 0.5 and 0.15
    result = za.update(make_frame(1, 0.0, width=200, height=100), wide)
    assert [e.track_id for e in result.events] == [1]


def occupancy(za: ZoneAnalyzer, script: Sequence[Sequence[Obj]], step_s: float) -> list:
    seen = []
    for i, objects in enumerate(script):
        result = za.update(make_frame(i + 1, i * step_s), make_detections(objects))
        for obs in result.observations:
            assert obs.kind is ObservationKind.OCCUPANCY
            assert obs.camera_id == CAMERA
            assert obs.rule_id == "lobby"
            assert obs.observed_at == T0 + timedelta(seconds=i * step_s)
            seen.append((i * step_s, obs.value))
    return seen


def test_occupancy_reported_on_change_and_periodically() -> None:
    # Frames every 0.25 s for t = 0 .. 5.0; A inside 0.25 .. 3.0, B inside 1.5 .. 2.0.
    script: list[list[Obj]] = []
    for i in range(21):
        t = i * 0.25
        objects = []
        if 0.25 <= t <= 3.0:
            objects.append(person(1, INSIDE))
        if 1.5 <= t <= 2.0:
            objects.append(person(2, (60, 60)))
        script.append(objects)
    za = analyzer(exit_after_s=0.5, interval_s=1.0)
    assert occupancy(za, script, 0.25) == [
        (0.0, 0.0),  # first frame: always reported
        (0.25, 1.0),  # A enters
        (1.25, 1.0),  # unchanged, but a second has passed
        (1.5, 2.0),  # B enters
        (2.5, 1.0),  # B exits (last inside 2.0 + 0.5)
        (3.5, 0.0),  # A exits (last inside 3.0 + 0.5)
        (4.5, 0.0),  # periodic
    ]


def test_occupancy_counts_a_visit_until_its_exit() -> None:
    # Object leaves at t = 1.0 but its visit only ends at t = 2.0 (exit_after_s = 1.5).
    script = [[person(1, INSIDE)]] * 2 + [[person(1, OUTSIDE)]] * 4
    za = analyzer(exit_after_s=1.5, interval_s=10.0)
    assert occupancy(za, script, 0.5) == [(0.0, 1.0), (2.0, 0.0)]


def test_event_ids_are_deterministic() -> None:
    script = [[person(1, INSIDE), car(2, INSIDE)]] * 3 + [[]] * 5

    def ids() -> list[str]:
        za = analyzer([ZoneConfig(id="lobby", polygon=SQUARE, classes=["person", "car"])])
        found = []
        for i, objects in enumerate(script):
            result = za.update(make_frame(i + 1, i * 0.5), make_detections(objects))
            found += [e.id for e in result.events]
        return found

    first, second = ids(), ids()
    assert len(first) == 4  # two enters, two exits
    assert first == second
    assert len(set(first)) == 4
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in first)
