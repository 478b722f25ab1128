"""Appearance in association: fused similarity, re-finding lost tracks, crossing people keep ids."""

import numpy as np
import pytest

from cctwin.config import ByteTrackConfig
from cctwin.track.association import assign, fused_similarity, iou_matrix, relink_similarity
from cctwin.track.bytetrack import ByteTracker
from cctwin.types import Detections

FPS = 10.0
RED = np.array([1.0, 0.0, 0.0], np.float32)
BLUE = np.array([0.0, 1.0, 0.0], np.float32)


def person(boxes: list[list[float]], looks: list[np.ndarray]) -> Detections:
    return Detections(
        xyxy=np.array(boxes, np.float32).reshape(-1, 4),
        confidence=np.full(len(boxes), 0.9, np.float32),
        class_id=np.zeros(len(boxes), np.int32),
        embedding=np.stack(looks).astype(np.float32),
    )


def test_appearance_picks_the_box_that_looks_like_the_track_among_overlapping_ones() -> None:
    track = np.array([[100, 100, 140, 200]], np.float32)
    boxes = np.array([[104, 100, 144, 200], [110, 100, 150, 200]], np.float32)
    iou = iou_matrix(track, boxes)
    assert iou[0, 0] > iou[0, 1]  # by overlap alone the first box wins
    appearance = np.array([[0.1, 0.9]], np.float32)  # the second box looks like the track
    known = np.array([True])
    pairs, _, _ = assign(fused_similarity(iou, appearance, known, 2.0, 0.1), 0.1)
    assert pairs == [(0, 1)]
    pairs, _, _ = assign(fused_similarity(iou, appearance, known, 0.0, 0.1), 0.1)
    assert pairs == [(0, 0)]


def test_appearance_never_joins_boxes_that_do_not_overlap() -> None:
    track = np.array([[0, 0, 10, 20]], np.float32)
    far = np.array([[200, 0, 210, 20]], np.float32)
    similarity = fused_similarity(
        iou_matrix(track, far), np.ones((1, 1), np.float32), np.array([True]), 5.0, 0.1
    )
    assert assign(similarity, 0.1)[0] == []


def test_a_track_without_embedding_keeps_plain_iou() -> None:
    iou = np.array([[0.5]], np.float32)
    similarity = fused_similarity(iou, np.array([[0.9]], np.float32), np.array([False]), 2.0, 0.1)
    assert similarity[0, 0] == pytest.approx(0.5)


def test_a_box_that_looks_nothing_like_the_track_is_vetoed_however_much_it_overlaps() -> None:
    iou = np.array([[0.8]], np.float32)
    unlike = np.array([[0.1]], np.float32)
    known = np.array([True])
    assert fused_similarity(iou, unlike, known, 0.0, 0.1, veto=0.25)[0, 0] == -1.0
    assert fused_similarity(iou, unlike, known, 0.0, 0.1, veto=-1.0)[0, 0] == pytest.approx(0.8)
    # A track with no embedding yet cannot veto anything.
    assert fused_similarity(iou, unlike, ~known, 0.0, 0.1, veto=0.25)[0, 0] == pytest.approx(0.8)


def test_relink_is_gated_by_how_far_a_walker_gets() -> None:
    last = np.array([[100, 100, 120, 150]], np.float32)  # 50 px tall
    boxes = np.array([[130, 100, 150, 150], [400, 100, 420, 150]], np.float32)
    looks = np.stack([RED, RED])
    similarity = relink_similarity(
        last, np.array([1.0], np.float32), RED[None], boxes, looks, reach_heights_per_s=1.0
    )
    # 30 px away after 1 s is within 1.5 heights (75 px); 300 px is not.
    assert similarity[0, 0] == pytest.approx(1.0)
    assert similarity[0, 1] == -1.0


def bounce(tracker: ByteTracker) -> dict[str, set[int]]:
    """Two people walk towards each other, meet, and each turns back the way it came.

    The Kalman prediction carries each track on through the meeting point, so by overlap
    alone each track takes the other person's box after the turn.
    """
    ids: dict[str, set[int]] = {"red": set(), "blue": set()}
    step = 0
    positions = [*range(0, 10), *range(9, -1, -1)]
    for step, k in enumerate(positions):
        red_x, blue_x = 100 + 8 * k, 260 - 8 * k
        frame = person(
            [[red_x, 100, red_x + 30, 180], [blue_x, 100, blue_x + 30, 180]], [RED, BLUE]
        )
        tracks = tracker.update(frame, step / FPS)
        for box, track in zip(tracks.xyxy.tolist(), tracks.track_id.tolist(), strict=True):
            lane = "red" if abs(box[0] - red_x) < 1 else "blue"
            if k >= 2:  # after both have an id
                ids[lane].add(track)
    return ids


def test_two_people_who_meet_and_turn_back_keep_their_ids_with_appearance() -> None:
    base = {"confirm_score": 0.0, "min_consecutive_frames": 1, "relink_similarity": 1.0}
    with_looks = bounce(ByteTracker(ByteTrackConfig(appearance_weight=2.0, **base), FPS))
    assert [len(ids) for ids in with_looks.values()] == [1, 1]
    assert with_looks["red"] != with_looks["blue"]
    # The scene really is ambiguous: by overlap alone the ids swap.
    overlap_only = ByteTrackConfig(appearance_weight=0.0, appearance_veto=-1.0, **base)
    by_overlap = bounce(ByteTracker(overlap_only, FPS))
    assert any(len(ids) > 1 for ids in by_overlap.values())


def reappear(relink_similarity: float) -> list[int]:
    config = ByteTrackConfig(
        confirm_score=0.0,
        min_consecutive_frames=1,
        relink_similarity=relink_similarity,
        lost_track_s=3.0,
    )
    tracker = ByteTracker(config, FPS)
    seen: list[int] = []
    for step in range(30):
        x = 100 + 6 * step
        if 8 <= step < 16:  # hidden for 0.8 s, and turning down the path meanwhile
            tracker.update(Detections.empty(), step / FPS)
            continue
        # It reappears 75 px lower than the motion model expects: no overlap to go by.
        y = 100 if step < 8 else 175
        tracks = tracker.update(person([[x, y, x + 30, y + 80]], [RED]), step / FPS)
        seen += tracks.track_id.tolist()
    return seen


def test_a_person_lost_behind_an_obstacle_gets_the_old_id_back() -> None:
    assert len(set(reappear(relink_similarity=0.8))) == 1
    # Without re-finding by appearance the same walk gives a second id.
    assert len(set(reappear(relink_similarity=1.0))) == 2


def test_detections_keep_embeddings_through_selection_and_scaling() -> None:
    found = person([[0, 0, 10, 10], [5, 5, 20, 20]], [RED, BLUE])
    picked = found[np.array([False, True])]
    assert picked.embedding.tolist() == [BLUE.tolist()]
    assert found.scaled(2.0).embedding.shape == (2, 3)
    plain = Detections(found.xyxy, found.confidence, found.class_id)
    assert plain.embedding.shape == (2, 0)
    assert plain[np.array([True, False])].embedding.shape == (1, 0)
