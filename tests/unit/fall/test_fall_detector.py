"""FallDetector on generated box (and keypoint) sequences at 10 frames per second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from fall_keypoints import ScriptedPose

from cctwin.analytics.fall.detector import FallDetector, FallFinding

FPS = 10
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
IMAGE = np.zeros((480, 640, 3), np.uint8)
STAND = (40.0, 100.0)  # width, height in pixels
LIE = (110.0, 35.0)


@dataclass(frozen=True)
class Phase:
    """`seconds` of one box size, feet at (x, 300) moving `dx` pixels per frame.

    A `size` of None means the detector lost the person: the frame has no tracks.
    """

    seconds: float
    size: tuple[float, float] | None
    dx: float = 0.0


def run(
    phases: Sequence[Phase],
    detector: FallDetector | None = None,
    x: float = 200.0,
    track_id: int = 7,
    pose_mode_by_phase: Sequence[str] | None = None,
    pose: ScriptedPose | None = None,
) -> list[FallFinding]:
    detector = detector or FallDetector(min_down_s=3.0)
    findings: list[FallFinding] = []
    frame = 0
    for k, phase in enumerate(phases):
        if pose is not None and pose_mode_by_phase is not None:
            pose.mode = pose_mode_by_phase[k]
        for _ in range(round(phase.seconds * FPS)):
            x += phase.dx
            at = T0 + timedelta(seconds=frame / FPS)
            frame += 1
            if phase.size is None:
                no_one = np.empty((0, 4), np.float32)
                empty_ids, empty_conf = np.empty(0, np.int64), np.empty(0, np.float32)
                findings += detector.update(IMAGE, at, no_one, empty_ids, empty_conf)
                continue
            w, h = phase.size
            box = np.array([[x - w / 2, 300 - h, x + w / 2, 300]], np.float32)
            findings += detector.update(
                IMAGE, at, box, np.array([track_id], np.int64), np.array([0.8], np.float32)
            )
    return findings


def test_fall_and_stay_down_raises_exactly_one_finding() -> None:
    findings = run([Phase(3, STAND), Phase(0.5, (70, 70)), Phase(30, LIE)])
    assert len(findings) == 1
    (finding,) = findings
    assert finding.track_id == 7
    assert finding.down_since == T0 + timedelta(seconds=3.5)
    assert finding.occurred_at - finding.down_since >= timedelta(seconds=3)
    assert finding.occurred_at - finding.down_since < timedelta(seconds=3.2)
    assert 0 < finding.confidence <= 1
    x1, y1, x2, y2 = finding.region_xyxy
    assert x2 - x1 > y2 - y1  # the box of the person lying


def test_bend_and_get_up_raises_nothing() -> None:
    # A deep bend can even look like lying to the box rule, but only for 2 s.
    phases = [Phase(3, STAND), Phase(2, (115, 60)), Phase(5, STAND)]
    assert run(phases) == []


def test_crouching_for_long_raises_nothing() -> None:
    assert run([Phase(3, STAND), Phase(20, (60, 65)), Phase(3, STAND)]) == []


def test_down_shorter_than_min_down_s_raises_nothing() -> None:
    assert run([Phase(3, STAND), Phase(2.5, LIE), Phase(3, STAND)]) == []


def test_getting_up_rearms_the_track() -> None:
    once = [Phase(3, STAND), Phase(5, LIE), Phase(3, STAND)]
    assert len(run(once + once)) == 2


def test_person_first_seen_lying_is_not_a_fall() -> None:
    assert run([Phase(10, LIE)]) == []


def test_slow_lie_down_is_not_a_fall() -> None:
    phases = [Phase(3, STAND), Phase(6, (70, 70)), Phase(10, LIE)]
    assert run(phases, FallDetector(min_down_s=3.0, fall_window_s=3.0)) == []


def test_wide_box_that_keeps_moving_is_not_a_fall() -> None:
    # e.g. a cyclist or a merged pair of walkers: wide and short, but travelling.
    assert run([Phase(3, STAND, dx=3), Phase(6, LIE, dx=6)], x=100) == []


def test_box_cut_by_the_frame_edge_is_not_judged() -> None:
    assert run([Phase(3, STAND), Phase(6, LIE)], x=50) == []  # lying box crosses x = 0


def test_only_the_fallen_track_is_reported() -> None:
    detector = FallDetector(min_down_s=3.0)
    findings: list[FallFinding] = []
    ids = np.array([1, 2], np.int64)
    conf = np.array([0.9, 0.9], np.float32)
    for frame in range(120):
        at = T0 + timedelta(seconds=frame / FPS)
        fallen = frame >= 30
        w, h = LIE if fallen else STAND
        boxes = np.array(
            [[100 - w / 2, 300 - h, 100 + w / 2, 300], [400 - 20, 200, 400 + 20, 300]],
            np.float32,
        )
        findings += detector.update(IMAGE, at, boxes, ids, conf)
    assert [f.track_id for f in findings] == [1]


def test_pose_confirms_a_fall_the_box_cannot_decide() -> None:
    # Fell towards the camera: the box is about square, pose shows the body lying.
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    phases = [Phase(3, STAND), Phase(8, (70, 65))]
    assert run(phases, detector) == []  # box alone: unknown, never a fall
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    findings = run(phases, detector, pose=pose, pose_mode_by_phase=["standing", "lying"])
    assert len(findings) == 1


def test_pose_vetoes_a_bend_the_box_calls_down() -> None:
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    phases = [Phase(3, STAND), Phase(8, (115, 60))]
    assert len(run(phases, FallDetector(min_down_s=3.0))) == 1  # box alone is fooled
    findings = run(phases, detector, pose=pose, pose_mode_by_phase=["standing", "bending"])
    assert findings == []


def test_pose_runs_only_for_unclear_boxes_and_at_a_limited_rate() -> None:
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    run([Phase(10, STAND)], detector, pose=pose, pose_mode_by_phase=["standing"])
    assert pose.calls == 0  # plainly upright boxes never need pose
    run([Phase(4, (70, 65))], detector, pose=pose, pose_mode_by_phase=["standing"])
    assert 7 <= pose.crops <= 9  # 4 s at one crop per 0.5 s


def test_pose_crops_per_frame_are_capped() -> None:
    pose = ScriptedPose("none")
    detector = FallDetector(min_down_s=3.0, pose=pose, max_pose_crops=2)
    boxes = np.array([[i * 80 + 10, 200, i * 80 + 80, 265] for i in range(6)], np.float32)
    detector.update(IMAGE, T0, boxes, np.arange(6, dtype=np.int64), np.full(6, 0.9, np.float32))
    assert pose.crops == 2


def test_pose_keeps_watching_where_the_detector_lost_a_falling_person() -> None:
    phases = [Phase(3, STAND), Phase(0.5, (70, 70)), Phase(8, None)]
    assert run(phases) == []  # box alone has nothing to go on
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    findings = run(
        phases, detector, pose=pose, pose_mode_by_phase=["standing", "standing", "lying"]
    )
    assert len(findings) == 1
    assert findings[0].track_id == 7
    assert findings[0].occurred_at - findings[0].down_since >= timedelta(seconds=3)
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    assert (
        run(phases, detector, pose=pose, pose_mode_by_phase=["standing", "standing", "none"]) == []
    )


def test_walker_lost_from_sight_costs_a_few_crops_and_no_alarm() -> None:
    pose = ScriptedPose("none")  # nobody lying where they were last seen
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5, fall_window_s=3.0)
    assert run([Phase(3, STAND), Phase(8, None)], detector) == []
    assert 1 <= pose.crops <= 6  # looks only while a fall could still begin


def test_walker_leaving_through_the_frame_edge_is_not_looked_for() -> None:
    pose = ScriptedPose("lying")
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    assert run([Phase(3, STAND, dx=-5), Phase(8, None)], detector, x=150) == []
    assert pose.calls == 0


def test_two_lost_tracks_finding_the_same_lying_person_raise_one_finding() -> None:
    pose = ScriptedPose()
    detector = FallDetector(min_down_s=3.0, pose=pose, pose_interval_s=0.5)
    findings: list[FallFinding] = []
    ids, conf = np.array([1, 2], np.int64), np.array([0.9, 0.9], np.float32)
    for frame in range(110):
        at = T0 + timedelta(seconds=frame / FPS)
        if frame < 30:  # two people walking side by side, then both lost
            boxes = np.array([[180, 200, 220, 300], [215, 200, 255, 300]], np.float32)
            findings += detector.update(IMAGE, at, boxes, ids, conf)
        else:
            pose.mode = "lying"
            empty = np.empty((0, 4), np.float32)
            findings += detector.update(
                IMAGE, at, empty, np.empty(0, np.int64), np.empty(0, np.float32)
            )
    assert len(findings) == 1
