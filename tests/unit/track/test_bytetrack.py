"""ByteTracker (trackers' ByteTrack): stable ids, per-class tracking, median-score confirmation."""

import numpy as np
import pytest

from cctwin.config import ByteTrackConfig
from cctwin.track.bytetrack import ByteTracker
from cctwin.track.tracker import create_tracker
from cctwin.types import Detections

PERSON, CAR = 0, 2
FPS = 10.0


def dets(boxes: list[list[float]], confidence: list[float], class_id: list[int]) -> Detections:
    return Detections(
        xyxy=np.array(boxes, np.float32).reshape(-1, 4),
        confidence=np.array(confidence, np.float32),
        class_id=np.array(class_id, np.int32),
    )


def config(**changes: object) -> ByteTrackConfig:
    base: dict = {"confirm_score": 0.0, "min_consecutive_frames": 1}
    base.update(changes)
    return ByteTrackConfig(**base)


@pytest.mark.parametrize("min_consecutive_frames", [1, 2])
def test_two_separated_boxes_keep_two_stable_ids(min_consecutive_frames: int) -> None:
    tracker = ByteTracker(config(min_consecutive_frames=min_consecutive_frames), FPS)
    ids_by_lane: dict[int, set[int]] = {10: set(), 100: set()}
    frames_with_both = 0
    for f in range(20):
        x = 10 + 3 * f  # both boxes move steadily right, 3 px per frame
        frame_dets = dets([[x, 10, x + 20, 50], [x, 100, x + 20, 140]], [0.9, 0.9], [0, 0])
        tracks = tracker.update(frame_dets, f / FPS)
        assert np.all(tracks.track_id >= 1)
        for box, track in zip(tracks.xyxy.tolist(), tracks.track_id.tolist(), strict=True):
            ids_by_lane[round(box[1])].add(track)
            assert box[0] == pytest.approx(x, abs=1.0)  # boxes are this frame's
        frames_with_both += len(tracks) == 2
    # Each lane keeps one id for the whole clip, and the two ids differ.
    assert [len(ids) for ids in ids_by_lane.values()] == [1, 1]
    assert ids_by_lane[10] != ids_by_lane[100]
    # Tracks are reported from (at the latest) the third frame on.
    assert frames_with_both >= 18


def test_ids_are_not_reused_after_a_track_is_lost() -> None:
    tracker = ByteTracker(config(lost_track_s=0.5), FPS)
    first: set[int] = set()
    for f in range(5):
        first |= set(
            tracker.update(dets([[10, 10, 30, 50]], [0.9], [0]), f / FPS).track_id.tolist()
        )
    for f in range(5, 30):  # nothing for 2.5 s: the track is gone
        assert len(tracker.update(Detections.empty(), f / FPS)) == 0
    later: set[int] = set()
    for f in range(30, 35):
        later |= set(
            tracker.update(dets([[300, 10, 320, 50]], [0.9], [0]), f / FPS).track_id.tolist()
        )
    assert len(first) == 1
    assert len(later) == 1
    assert first != later


def test_per_class_keeps_overlapping_person_and_car_apart() -> None:
    tracker = ByteTracker(config(per_class=True), FPS)
    seen: dict[int, set[int]] = {PERSON: set(), CAR: set()}
    for f in range(10):
        frame_dets = dets(
            [[10 + f, 10, 50 + f, 90], [12 + f, 12, 52 + f, 92]], [0.9, 0.9], [PERSON, CAR]
        )
        tracks = tracker.update(frame_dets, f / FPS)
        for cls, track in zip(tracks.class_id.tolist(), tracks.track_id.tolist(), strict=True):
            seen[cls].add(track)
    assert len(seen[PERSON]) == 1
    assert len(seen[CAR]) == 1
    assert seen[PERSON] != seen[CAR]


def test_per_class_ids_are_unique_across_classes() -> None:
    # Each class has its own ByteTrack whose local ids both start at 1; the camera's ids must
    # still differ.
    tracker = ByteTracker(config(per_class=True), FPS)
    ids = []
    for f in range(5):
        frame_dets = dets([[10, 10, 50, 90], [200, 10, 240, 90]], [0.9, 0.9], [PERSON, CAR])
        ids.append(sorted(tracker.update(frame_dets, f / FPS).track_id.tolist()))
    assert ids[-1][0] != ids[-1][1]
    assert all(frame_ids == ids[-1] for frame_ids in ids if len(frame_ids) == 2)


def test_confirm_score_hides_a_track_with_low_median_confidence() -> None:
    # Activation and matching thresholds below 0.4, so the weak object is really tracked and
    # only the median-score confirmation can hide it.
    weak_box, strong_box = [10, 10, 50, 90], [200, 10, 240, 90]

    def run(confirm_score: float) -> dict[str, set[int]]:
        tracker = ByteTracker(
            config(confirm_score=confirm_score, activation_confidence=0.3, high_confidence=0.3),
            FPS,
        )
        found: dict[str, set[int]] = {"weak": set(), "strong": set()}
        for f in range(10):
            frame_dets = dets([weak_box, strong_box], [0.4, 0.8], [PERSON, PERSON])
            tracks = tracker.update(frame_dets, f / FPS)
            for box, track in zip(tracks.xyxy.tolist(), tracks.track_id.tolist(), strict=True):
                found["weak" if box[0] < 100 else "strong"].add(track)
        return found

    shown = run(confirm_score=0.0)
    assert len(shown["weak"]) == 1
    assert len(shown["strong"]) == 1
    confirmed = run(confirm_score=0.6)
    assert confirmed["weak"] == set()
    assert len(confirmed["strong"]) == 1


def test_a_confirmed_track_stays_reported_when_its_scores_drop() -> None:
    tracker = ByteTracker(
        config(confirm_score=0.6, activation_confidence=0.3, high_confidence=0.3, score_history=3),
        FPS,
    )
    reported = []
    for f, score in enumerate([0.9, 0.9, 0.9, 0.4, 0.4, 0.4, 0.4, 0.4]):
        tracks = tracker.update(dets([[10, 10, 50, 90]], [score], [PERSON]), f / FPS)
        reported.append(len(tracks))
    # Once confirmed (median >= 0.6), the track is reported even when its median falls.
    first = reported.index(1)
    assert first <= 2
    assert reported[first:] == [1] * (len(reported) - first)


def test_empty_frames_give_empty_tracks() -> None:
    tracker = ByteTracker(config(), FPS)
    result = tracker.update(Detections.empty(), 0.0)
    assert len(result) == 0
    assert result.xyxy.shape == (0, 4)


def test_create_tracker_builds_a_bytetracker() -> None:
    tracker = create_tracker(config(), 25.0)
    assert isinstance(tracker, ByteTracker)


def test_a_track_confirmed_late_hands_back_its_earlier_boxes_once() -> None:
    tracker = ByteTracker(
        config(confirm_score=0.6, activation_confidence=0.3, high_confidence=0.3, score_history=5),
        FPS,
    )
    # A person who walks in half hidden (0.5) and then in full view (0.9). ByteTrack gives an
    # id from the second frame; the median of the scores since then reaches 0.6 on the fifth.
    scores = [0.5, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9]
    reported, handed = [], []
    for f, score in enumerate(scores):
        x = 10 + 4 * f
        tracks = tracker.update(dets([[x, 10, x + 40, 90]], [score], [PERSON]), f / FPS)
        reported.append(tracks.track_id.tolist())
        handed.append(tracker.take_earlier())
    first = next(f for f, ids in enumerate(reported) if ids)
    assert first == 4  # median of [0.5, 0.5, 0.9, 0.9] = 0.7
    (track_id,) = reported[first]
    earlier = handed[first]
    # The frames before confirmation come back with their own times, boxes and the same id.
    assert [e.frame_time_s for e in earlier] == pytest.approx([0.1, 0.2, 0.3])
    assert [e.tracks.track_id.tolist() for e in earlier] == [[track_id]] * 3
    assert [round(float(e.tracks.xyxy[0, 0])) for e in earlier] == [14, 18, 22]
    assert all(h == [] for f, h in enumerate(handed) if f != first)  # once, never again


def test_an_unconfirmed_track_that_leaves_is_forgotten() -> None:
    tracker = ByteTracker(
        config(confirm_score=0.6, activation_confidence=0.3, high_confidence=0.3, lost_track_s=0.5),
        FPS,
    )
    for f in range(4):  # clutter: tracked, never confirmed
        assert len(tracker.update(dets([[10, 10, 50, 90]], [0.4], [PERSON]), f / FPS)) == 0
    assert tracker._pending
    for f in range(4, 12):  # gone for 0.8 s, longer than a track may be lost
        tracker.update(Detections.empty(), f / FPS)
    assert not tracker._pending
    assert not tracker._scores
    assert tracker.take_earlier() == []
