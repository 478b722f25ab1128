"""LineAnalyzer on scripted trajectories: directional crossings, counts and count observations.

Sign convention pinned here (map view): stand on points[0] of the image seen as a map and
look towards points[1]; "left" is on your left. For a line drawn left to right across the
image the left side is *above* the line, so with in_direction left_to_right an object walking
*down* the image (from above the line to below it) counts as `in`. In pixels (y down) the
cross product (end - start) x (point - start) is positive on the right-hand side.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from cctwin.analytics.lines import LineAnalyzer
from cctwin.config import LineConfig
from cctwin.types import Detections, Direction, EventKind, Frame, ObservationKind

T0 = datetime(2024, 3, 4, 9, 0, 0, tzinfo=UTC)
CAMERA = "cam1"
PERSON, CAR = 0, 2
IN, OUT = Direction.IN, Direction.OUT
HORIZONTAL = [(0.0, 0.5), (1.0, 0.5)]  # y = 50 on a 100x100 frame, drawn left to right

Obj = tuple[int, tuple[float, float], int, float]


def make_frame(index: int, t: float) -> Frame:
    return Frame(
        camera_id=CAMERA,
        index=index,
        captured_at=T0 + timedelta(seconds=t),
        stream_time_s=t,
        image=np.zeros((100, 100, 3), np.uint8),
    )


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


def line_analyzer(
    lines: list[LineConfig], forget_after_s: float = 3.0, interval_s: float = 1.0
) -> LineAnalyzer:
    return LineAnalyzer(CAMERA, lines, forget_after_s, interval_s)


def crossings(la: LineAnalyzer, script: Sequence[Sequence[Obj]], step_s: float = 0.5) -> list:
    found = []
    for i, objects in enumerate(script):
        result = la.update(make_frame(i + 1, i * step_s), make_detections(objects))
        found += [(e.frame_index, e.track_id, e.direction) for e in result.events]
    return found


def walk(anchors: Sequence[tuple[float, float]], track: int = 1, cls: int = PERSON) -> list:
    return [[(track, a, cls, 0.9)] for a in anchors]


@pytest.mark.parametrize(
    ("points", "in_direction", "path", "expected"),
    [
        # Horizontal line drawn left to right.
        (
            HORIZONTAL,
            "left_to_right",
            [(50, 60), (50, 40)],
            OUT,
        ),  # walking up: right side -> left side
        (HORIZONTAL, "left_to_right", [(50, 40), (50, 60)], IN),  # walking down: left -> right
        (HORIZONTAL, "right_to_left", [(50, 60), (50, 40)], IN),
        (HORIZONTAL, "right_to_left", [(50, 40), (50, 60)], OUT),
        # The same line drawn right to left swaps the sides.
        ([(1.0, 0.5), (0.0, 0.5)], "left_to_right", [(50, 60), (50, 40)], IN),
        ([(1.0, 0.5), (0.0, 0.5)], "left_to_right", [(50, 40), (50, 60)], OUT),
        # Vertical line drawn top to bottom: walking towards larger x is right_to_left.
        ([(0.5, 0.0), (0.5, 1.0)], "left_to_right", [(40, 50), (60, 50)], OUT),
        ([(0.5, 0.0), (0.5, 1.0)], "left_to_right", [(60, 50), (40, 50)], IN),
        ([(0.5, 0.0), (0.5, 1.0)], "right_to_left", [(40, 50), (60, 50)], IN),
        # Diagonal from top-left to bottom-right.
        ([(0.0, 0.0), (1.0, 1.0)], "left_to_right", [(30, 70), (70, 30)], OUT),
        ([(0.0, 0.0), (1.0, 1.0)], "left_to_right", [(70, 30), (30, 70)], IN),
        # A big jump across the line between two sampled frames still counts.
        (HORIZONTAL, "left_to_right", [(10, 99), (90, 1)], OUT),
    ],
)
def test_crossing_direction(
    points: list[tuple[float, float]],
    in_direction: str,
    path: list[tuple[float, float]],
    expected: Direction,
) -> None:
    la = line_analyzer([LineConfig(id="gate", points=points, in_direction=in_direction)])
    assert crossings(la, walk(path)) == [(2, 1, expected)]
    assert la.counts["gate"] == {IN: int(expected is IN), OUT: int(expected is OUT)}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param([(50, 40), (50, 50), (50, 40)], id="touch-from-above"),
        pytest.param([(50, 60), (50, 50), (50, 60)], id="touch-from-below"),
        pytest.param([(50, 40), (50, 45), (50, 48), (50, 30)], id="approach-and-turn"),
        pytest.param([(20, 40), (80, 40), (80, 45)], id="walk-along-one-side"),
        pytest.param([(10, 50), (90, 50)], id="walk-along-the-line"),
    ],
)
def test_no_crossing_without_changing_sides(path: list[tuple[float, float]]) -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)])
    assert crossings(la, walk(path)) == []
    assert la.counts["gate"] == {IN: 0, OUT: 0}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # Counted once, at the frame that leaves the line, in the direction of travel.
        pytest.param([(50, 40), (50, 50), (50, 60)], [(3, 1, IN)], id="down-via-line"),
        pytest.param([(50, 60), (50, 50), (50, 40)], [(3, 1, OUT)], id="up-via-line"),
    ],
)
def test_crossing_that_stops_on_the_line_counts_once_in_its_direction(
    path: list[tuple[float, float]], expected: list
) -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)])
    assert crossings(la, walk(path)) == expected


@pytest.mark.parametrize(
    ("x", "counted"),
    [(50, True), (25, True), (10, False), (90, False)],
)
def test_only_the_segment_counts_not_its_extension(x: float, counted: bool) -> None:
    la = line_analyzer([LineConfig(id="gate", points=[(0.2, 0.5), (0.8, 0.5)])])
    # Walking up the image: right-hand side -> left-hand side, i.e. `out`.
    expected = [(2, 1, OUT)] if counted else []
    assert crossings(la, walk([(x, 60), (x, 40)])) == expected


def test_first_sighting_never_counts() -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)])
    # Track 1 is first seen above the line; a different track 2 was below.
    script = [[(2, (50, 60), PERSON, 0.9)], [(1, (50, 40), PERSON, 0.9)]]
    assert crossings(la, script) == []


def test_crossing_event_fields() -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)])
    la.update(make_frame(10, 4.0), make_detections([(5, (50, 60), PERSON, 0.5)]))
    result = la.update(make_frame(11, 4.5), make_detections([(5, (50, 40), PERSON, 0.912345)]))
    (event,) = result.events
    assert event.kind is EventKind.LINE_CROSS
    assert event.camera_id == CAMERA
    assert event.rule_id == "gate"
    assert event.zone_id is None
    assert event.direction is Direction.OUT  # walked up: right -> left
    assert event.frame_index == 11
    assert event.occurred_at == T0 + timedelta(seconds=4.5)
    assert event.track_id == 5
    assert event.class_name == "person"
    assert event.confidence == 0.9123
    assert event.dwell_s is None


@pytest.mark.parametrize(
    ("line_classes", "cls", "counted"),
    [
        (["person"], PERSON, True),
        (["person"], CAR, False),
        (["car"], CAR, True),
        (["car"], PERSON, False),
        (["person", "car"], CAR, True),
    ],
)
def test_class_filter(line_classes: list[str], cls: int, counted: bool) -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL, classes=line_classes)])
    found = crossings(la, walk([(50, 60), (50, 40)], cls=cls))  # walking up: `out`
    assert found == ([(2, 1, OUT)] if counted else [])


def test_counts_accumulate_per_direction_and_track() -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)])
    above, below = (50, 40), (50, 60)
    script = [
        [(1, below, PERSON, 0.9), (2, (20, 60), PERSON, 0.9)],
        [(1, above, PERSON, 0.9), (2, (20, 40), PERSON, 0.9)],  # both walk up: out
        [(1, below, PERSON, 0.9), (2, (20, 40), PERSON, 0.9)],  # 1 walks down: in
        [(1, above, PERSON, 0.9), (2, (20, 30), PERSON, 0.9)],  # 1 walks up: out
    ]
    assert crossings(la, script) == [(2, 1, OUT), (2, 2, OUT), (3, 1, IN), (4, 1, OUT)]
    assert la.counts == {"gate": {IN: 1, OUT: 3}}


def test_each_line_counts_separately() -> None:
    upper = LineConfig(id="upper", points=[(0.0, 0.3), (1.0, 0.3)])
    lower = LineConfig(id="lower", points=[(0.0, 0.7), (1.0, 0.7)], in_direction="right_to_left")
    la = line_analyzer([upper, lower])
    result_events = []
    for i, y in enumerate([90, 50, 10]):
        result = la.update(make_frame(i + 1, i * 0.5), make_detections([(1, (50, y), 0, 0.9)]))
        result_events += [(e.frame_index, e.rule_id, e.direction) for e in result.events]
    # Walking up crosses each line from its right-hand side to its left-hand side:
    # `in` for lower (right_to_left), `out` for upper (left_to_right).
    assert result_events == [(2, "lower", IN), (3, "upper", OUT)]
    assert la.counts == {"upper": {IN: 0, OUT: 1}, "lower": {IN: 1, OUT: 0}}


@pytest.mark.parametrize(("forget_after_s", "counted"), [(1.0, False), (3.0, True)])
def test_a_track_unseen_too_long_is_forgotten(forget_after_s: float, counted: bool) -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)], forget_after_s=forget_after_s)
    # Below at t = 0, unseen at t = 0.5 .. 1.5, above at t = 2.0 (walked up: `out`).
    script = [walk([(50, 60)])[0], [], [], [], walk([(50, 40)])[0]]
    assert crossings(la, script) == ([(5, 1, OUT)] if counted else [])


def test_count_observations_every_interval_with_cumulative_counts() -> None:
    la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)], interval_s=1.0)
    ys = [60, 40, 40, 60, 60, 60, 60, 40, 40]  # t = 0 .. 4.0 every 0.5 s
    seen = []
    for i, y in enumerate(ys):
        t = i * 0.5
        result = la.update(make_frame(i + 1, t), make_detections([(1, (50, y), 0, 0.9)]))
        for obs in result.observations:
            assert obs.rule_id == "gate"
            assert obs.camera_id == CAMERA
            assert obs.observed_at == T0 + timedelta(seconds=t)
            seen.append((t, obs.kind, obs.value))
    cin, cout = ObservationKind.LINE_COUNT_IN, ObservationKind.LINE_COUNT_OUT
    assert seen == [
        (0.0, cin, 0.0),  # first frame reports the zero counts
        (0.0, cout, 0.0),
        # `out` (walked up) at t = 0.5 is reported at t = 1.0, once a second has passed.
        (1.0, cin, 0.0),
        (1.0, cout, 1.0),
        # `in` (walked down) at t = 1.5 is reported at t = 2.0.
        (2.0, cin, 1.0),
        (2.0, cout, 1.0),
        # Nothing changed by t = 3.0, but a second has passed: the same counts again.
        (3.0, cin, 1.0),
        (3.0, cout, 1.0),
        # `out` at t = 3.5 is only 0.5 s after the last report: it waits for t = 4.0.
        (4.0, cin, 1.0),
        (4.0, cout, 2.0),
    ]


def test_no_observations_without_lines() -> None:
    la = line_analyzer([])
    result = la.update(make_frame(1, 0.0), make_detections(walk([(50, 60)])[0]))
    assert result.observations == []
    assert result.events == []


def test_event_ids_are_deterministic() -> None:
    script = walk([(50, 60), (50, 40), (50, 60), (50, 40)])

    def ids() -> list[str]:
        la = line_analyzer([LineConfig(id="gate", points=HORIZONTAL)])
        found = []
        for i, objects in enumerate(script):
            found += [
                e.id for e in la.update(make_frame(i + 1, i * 0.5), make_detections(objects)).events
            ]
        return found

    first = ids()
    assert len(first) == 3
    assert first == ids()
    assert len(set(first)) == 3
