"""FallRule as the camera pipeline runs it: person tracks in, one `fallenPerson` event per fall."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from cctwin.analytics import safety
from cctwin.analytics.fall.pose import FloatArray, Pose
from cctwin.analytics.fall.rule import FallRule
from cctwin.analytics.fire.detector import StillScorer
from cctwin.analytics.safety import SafetyModels, build_safety
from cctwin.config import AnalyticsConfig, FallConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.types import Detections, Event, EventKind, Frame

FPS = 10
T0 = datetime(2026, 7, 14, 18, 0, tzinfo=UTC)
IMAGE = np.zeros((480, 640, 3), np.uint8)
PERSON = COCO_LABELS.index("person")
CAR = COCO_LABELS.index("car")
STAND = (40.0, 100.0)  # width, height in pixels: tall and narrow
LIE = (110.0, 35.0)  # wide and short


@dataclass(frozen=True)
class Phase:
    """`seconds` of one box size, feet at (x, 300), moving `dx` pixels per frame."""

    seconds: float
    size: tuple[float, float]
    dx: float = 0.0


def frames_of(
    phases: Sequence[Phase], track_id: int = 7, class_id: int = PERSON, x: float = 200
) -> Iterator[tuple[Frame, Detections]]:
    """(Frame, Detections) pairs at FPS, with a stray untracked row in every frame."""
    index = 0
    for phase in phases:
        for _ in range(round(phase.seconds * FPS)):
            x += phase.dx
            w, h = phase.size
            index += 1
            frame = Frame(
                camera_id="cam-1",
                index=index,
                captured_at=T0 + timedelta(seconds=(index - 1) / FPS),
                stream_time_s=(index - 1) / FPS,
                image=IMAGE,
                received_monotonic_s=1000.0 + index,
            )
            tracks = Detections(
                xyxy=np.array(
                    [[x - w / 2, 300 - h, x + w / 2, 300], [500, 100, 600, 130]], np.float32
                ),
                confidence=np.array([0.8, 0.9], np.float32),
                class_id=np.array([class_id, PERSON], np.int32),
                # The second row is a detection the tracker has not confirmed yet.
                track_id=np.array([track_id, -1], np.int64),
            )
            yield frame, tracks


def run(
    rule: FallRule, phases: Sequence[Phase], track_id: int = 7, class_id: int = PERSON
) -> list[Event]:
    frames = frames_of(phases, track_id=track_id, class_id=class_id)
    return [e for f, t in frames for e in rule.update(f, t).events]


def _keypoints(box: FloatArray, lying: bool) -> Pose:
    """Shoulders, hips and ankles along the box's long axis (other keypoints unseen)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    kp = np.zeros((17, 3), np.float32)
    for pair, along in (((5, 6), 0.2), ((11, 12), 0.5), ((15, 16), 0.95)):
        for side, i in zip((-1, 1), pair, strict=True):
            if lying:
                kp[i] = (x1 + along * (x2 - x1), (y1 + y2) / 2 + side * 3, 0.9)
            else:
                kp[i] = ((x1 + x2) / 2 + side * 6, y1 + along * (y2 - y1), 0.9)
    return Pose(keypoints=kp, score=0.9)


class FakePose:
    """A pose model that sees a lying person in wide boxes, a standing one otherwise."""

    def __init__(self, always_standing: bool = False, threads: int = 1) -> None:
        self.always_standing = always_standing
        self.threads = threads
        self.calls = 0

    def estimate(
        self, image_bgr: npt.NDArray[np.uint8], boxes_xyxy: FloatArray
    ) -> list[Pose | None]:
        self.calls += 1
        return [
            _keypoints(b, lying=not self.always_standing and b[2] - b[0] > b[3] - b[1])
            for b in boxes_xyxy
        ]


class NoPose:
    def estimate(
        self, image_bgr: npt.NDArray[np.uint8], boxes_xyxy: FloatArray
    ) -> list[Pose | None]:
        raise AssertionError("the pose model must not run when `pose` is off")


FALL = [Phase(3, STAND), Phase(8, LIE)]


def test_a_person_who_falls_and_stays_down_gives_one_event_after_min_down_s() -> None:
    rule = FallRule("cam-1", FallConfig(id="fall-1", min_down_s=3.0, pose=False), None)
    events = run(rule, FALL)
    assert rule.name == "fall:fall-1"
    assert len(events) == 1
    (event,) = events
    assert event.kind is EventKind.FALLEN_PERSON
    assert (event.camera_id, event.rule_id, event.track_id) == ("cam-1", "fall-1", 7)
    assert event.class_name == "person"
    # Down from the first lying frame (t = 3.0 s); raised once down for 3 s, at t = 6.0 s.
    assert event.occurred_at == T0 + timedelta(seconds=6.0)
    assert event.frame_index == 61
    assert event.detected_monotonic_s == 1000.0 + 61
    assert event.dwell_s == pytest.approx(3.0)
    assert 0 < event.confidence <= 1
    # The lying person's box in analysis pixels, xyxy.
    # The person's box (145, 265)-(255, 300) px of the 640 x 480 image, normalised.
    assert event.region == pytest.approx((145 / 640, 265 / 480, 255 / 640, 300 / 480))


def test_min_down_s_from_the_config_sets_when_the_event_comes() -> None:
    rule = FallRule("cam-1", FallConfig(min_down_s=5.0, pose=False), None)
    (event,) = run(rule, FALL, track_id=42)
    assert event.track_id == 42
    assert event.occurred_at == T0 + timedelta(seconds=8.0)


def test_a_person_walking_upright_gives_no_event() -> None:
    rule = FallRule("cam-1", FallConfig(pose=False), None)
    assert run(rule, [Phase(20, STAND, dx=4.0)]) == []


def test_a_fall_of_a_non_person_class_is_ignored() -> None:
    rule = FallRule("cam-1", FallConfig(pose=False), None)
    assert run(rule, FALL, class_id=CAR) == []


def test_a_fall_of_an_untracked_detection_is_ignored() -> None:
    # Rows the tracker has not confirmed all carry id -1; they are not one person.
    rule = FallRule("cam-1", FallConfig(pose=False), None)
    assert run(rule, FALL, track_id=-1) == []


def test_pose_off_never_calls_the_pose_model() -> None:
    rule = FallRule("cam-1", FallConfig(pose=False), NoPose())
    assert rule.detector.pose is None
    assert len(run(rule, FALL)) == 1


def test_pose_on_runs_the_model_at_its_interval_while_the_person_is_down() -> None:
    pose = FakePose()
    rule = FallRule("cam-1", FallConfig(min_down_s=3.0, pose_interval_s=1.0), pose)
    (event,) = run(rule, FALL)
    assert event.occurred_at == T0 + timedelta(seconds=6.0)
    # Never while upright; once a second over the 8 s lying (t = 3.0, 4.0, ... 10.0).
    assert pose.calls == 8


def test_pose_overrides_a_lying_box_when_it_sees_someone_standing() -> None:
    # A wide, short box with an upright body in it (say, someone behind a low wall).
    with_pose = FallRule("cam-1", FallConfig(), FakePose(always_standing=True))
    box_only = FallRule("cam-1", FallConfig(pose=False), FakePose(always_standing=True))
    assert run(with_pose, FALL) == []
    assert len(run(box_only, FALL)) == 1


class StubModels(SafetyModels):
    """Real pose loading (with a stand-in estimator); fire and water models never built."""

    def fire_scorer(self) -> StillScorer:
        raise AssertionError("no fire rule in these configs")


def test_build_safety_adds_the_fall_rule_last_and_loads_pose_once_per_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[FakePose] = []

    def estimator(threads: int = 1) -> FakePose:
        built.append(FakePose(threads=threads))
        return built[-1]

    monkeypatch.setattr(safety, "PoseEstimator", estimator)
    monkeypatch.setattr(SafetyModels, "water_segmenter", lambda self, roi: lambda image: image)
    config = AnalyticsConfig.model_validate(
        {
            "flood": [{"id": "underpass", "roi": [[0, 0.5], [1, 0.5], [1, 1]]}],
            "fall": {"id": "falls", "min_down_s": 3, "pose_interval_s": 1.0},
        }
    )
    models = StubModels(threads=2)
    cam_1 = build_safety("cam-1", config, models)
    cam_2 = build_safety("cam-2", config, models)
    assert [a.name for a in cam_1] == ["flood:underpass", "fall:falls"]
    assert len(built) == 1
    assert built[0].threads == 2
    fall_1, fall_2 = cam_1[-1], cam_2[-1]
    assert isinstance(fall_1, FallRule)
    assert isinstance(fall_2, FallRule)
    assert fall_1.detector.pose is fall_2.detector.pose is built[0]
    events = [e for f, t in frames_of(FALL) for e in fall_1.update(f, t).events]
    assert [(e.kind, e.camera_id, e.rule_id, e.track_id) for e in events] == [
        (EventKind.FALLEN_PERSON, "cam-1", "falls", 7)
    ]
    assert built[0].calls > 0


def test_build_safety_without_pose_never_loads_the_pose_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_estimator(threads: int = 1) -> FakePose:
        raise AssertionError("pose: false must not load MoveNet")

    monkeypatch.setattr(safety, "PoseEstimator", no_estimator)
    config = AnalyticsConfig.model_validate({"fall": {"pose": False, "min_down_s": 2}})
    (rule,) = build_safety("cam-1", config, StubModels())
    assert isinstance(rule, FallRule)
    assert rule.detector.pose is None
    (event,) = (e for f, t in frames_of(FALL) for e in rule.update(f, t).events)
    assert event.occurred_at == T0 + timedelta(seconds=5.0)


def test_build_safety_without_a_fall_block_adds_no_fall_rule() -> None:
    assert build_safety("cam-1", AnalyticsConfig(), StubModels()) == []
