"""Per-camera fall detection: a tracked person who goes down quickly and stays down."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from cctwin.analytics.fall.pose import FloatArray, PoseModel
from cctwin.analytics.fall.posture import (
    Posture,
    PostureThresholds,
    box_posture,
    pose_posture,
)
from cctwin.geometry import box_overlap_of_smaller


@dataclass(frozen=True, slots=True)
class FallFinding:
    """One fall: raised once when the person has been down `min_down_s`.

    `occurred_at` is when the fall was confirmed (the frame that raised it), `down_since`
    when the person was first seen down; `region_xyxy` is their box in that frame.
    """

    track_id: int
    confidence: float
    region_xyxy: tuple[float, float, float, float]
    occurred_at: datetime
    down_since: datetime


@dataclass(slots=True)
class _TrackState:
    last_seen: datetime
    upright_heights: deque[tuple[datetime, float]] = field(default_factory=deque)
    last_upright_at: datetime | None = None
    down_since: datetime | None = None
    down_anchor: tuple[float, float] = (0.0, 0.0)
    down_scale: float = 1.0
    last_down_at: datetime | None = None
    episode_observations: int = 0
    episode_down: int = 0
    episode_confidence: float = 0.0
    fired: bool = False
    last_pose_at: datetime | None = None
    pose_posture: Posture | None = None
    last_box: FloatArray | None = None
    at_edge: bool = False

    def standing_height(self, at: datetime, window: timedelta) -> float | None:
        while self.upright_heights and at - self.upright_heights[0][0] > window:
            self.upright_heights.popleft()
        if not self.upright_heights:
            return None
        # Per person per frame: statistics.median gives np.median's value at a fraction of the cost.
        return float(statistics.median(h for _, h in self.upright_heights))

    def end_episode(self) -> None:
        self.down_since = None
        self.last_down_at = None
        self.episode_observations = self.episode_down = 0
        self.episode_confidence = 0.0


class FallDetector:
    """Watches every tracked person of one camera for an upright -> down -> stays-down run.

    Box shape is judged on every frame; pose (when a model is given) runs only for people
    whose box is not plainly upright or who are already down, at most once per track every
    `pose_interval_s` and for at most `max_pose_crops` people per frame, and its verdict
    overrides the box until it goes stale. A person must be seen upright, be down within
    `fall_window_s`, stay down (not drifting more than `max_drift` standing heights, which
    a walker would) for `min_down_s`, and be seen down in at least `min_down_fraction` of
    the observations meanwhile. One finding per fall (a second track's finding over the
    same spot within `same_fall_s` is dropped); getting up re-arms the track.
    """

    def __init__(
        self,
        min_down_s: float = 3.0,
        pose: PoseModel | None = None,
        pose_interval_s: float = 0.5,
        fall_window_s: float = 3.0,
        max_pose_crops: int = 4,
        min_down_fraction: float = 0.6,
        max_drift: float = 1.0,
        standing_window_s: float = 5.0,
        forget_s: float = 10.0,
        coast_s: float = 8.0,
        same_fall_s: float = 60.0,
        border_px: float = 2.0,
        thresholds: PostureThresholds | None = None,
    ) -> None:
        self.min_down = timedelta(seconds=min_down_s)
        self.pose = pose
        self.pose_interval = timedelta(seconds=pose_interval_s)
        self.pose_stale = timedelta(seconds=1.5 * pose_interval_s)
        self.fall_window = timedelta(seconds=fall_window_s)
        self.down_hold = timedelta(seconds=max(1.0, 1.5 * pose_interval_s))
        self.max_pose_crops = max_pose_crops
        self.min_down_fraction = min_down_fraction
        self.max_drift = max_drift
        self.standing_window = timedelta(seconds=standing_window_s)
        self.forget = timedelta(seconds=forget_s)
        self.coast = timedelta(seconds=coast_s)
        self.border_px = border_px
        self.thresholds = thresholds or PostureThresholds()
        self.same_fall = timedelta(seconds=same_fall_s)
        self._tracks: dict[int, _TrackState] = {}
        self._recent: list[FallFinding] = []

    def update(
        self,
        image_bgr: npt.NDArray[np.uint8],
        at: datetime,
        person_xyxy: FloatArray,
        track_ids: npt.NDArray[np.int64],
        confidences: FloatArray,
    ) -> list[FallFinding]:
        """Feed one frame's tracked people; returns the falls confirmed on this frame."""
        boxes = np.asarray(person_xyxy, np.float32).reshape(-1, 4)
        height, width = image_bgr.shape[:2]
        states = [self._state(int(t), at) for t in track_ids]
        postures = [
            self._box_posture(box, state, at, width, height)
            for box, state in zip(boxes, states, strict=True)
        ]
        crops = self._run_pose(image_bgr, boxes, states, postures, at)
        findings: list[FallFinding] = []
        for i, state in enumerate(states):
            posture = self._fused(postures[i], state, at)
            state.last_box = boxes[i]
            finding = self._advance(
                int(track_ids[i]), state, posture, boxes[i], float(confidences[i]), at
            )
            if finding is not None:
                findings.append(finding)
        seen = {int(t) for t in track_ids}
        findings += self._coast(image_bgr, seen, self.max_pose_crops - crops, at)
        self._forget(at)
        return findings

    # -- per-track cues ---------------------------------------------------------------------

    def _state(self, track_id: int, at: datetime) -> _TrackState:
        state = self._tracks.get(track_id)
        if state is None:
            state = self._tracks[track_id] = _TrackState(last_seen=at)
        state.last_seen = at
        return state

    def _box_posture(
        self, box: FloatArray, state: _TrackState, at: datetime, width: int, height: int
    ) -> Posture:
        # A box cut by the frame edge has lost width or height for reasons other than posture.
        state.at_edge = bool(
            box[0] <= self.border_px
            or box[1] <= self.border_px
            or box[2] >= width - self.border_px
            or box[3] >= height - self.border_px
        )
        if state.at_edge:
            return Posture.UNKNOWN
        standing = state.standing_height(at, self.standing_window)
        return box_posture(
            float(box[2] - box[0]), float(box[3] - box[1]), standing, self.thresholds
        )

    def _run_pose(
        self,
        image_bgr: npt.NDArray[np.uint8],
        boxes: FloatArray,
        states: list[_TrackState],
        postures: list[Posture],
        at: datetime,
    ) -> int:
        if self.pose is None or len(boxes) == 0:
            return 0
        due = [
            i
            for i, state in enumerate(states)
            if not state.at_edge  # people cut by the frame edge are mostly entering or leaving
            and (postures[i] is not Posture.UPRIGHT or state.down_since is not None)
            and (state.last_pose_at is None or at - state.last_pose_at >= self.pose_interval)
        ]
        # People already down first, then whoever has waited longest for a pose.
        due.sort(key=lambda i: (states[i].down_since is None, self._pose_age(states[i], at)))
        chosen = due[: self.max_pose_crops]
        if not chosen:
            return 0
        poses = self.pose.estimate(image_bgr, boxes[chosen])
        for i, pose in zip(chosen, poses, strict=True):
            states[i].last_pose_at = at
            states[i].pose_posture = None if pose is None else pose_posture(pose, self.thresholds)
        return len(chosen)

    def _coast(
        self, image_bgr: npt.NDArray[np.uint8], seen: set[int], budget: int, at: datetime
    ) -> list[FallFinding]:
        """Look with pose where a person just vanished from the detector (fallen, maybe).

        COCO detectors often lose someone lying on the ground, and the tracker then drops
        the track exactly when a fall begins. Pose looks at the floor around their last
        feet position while a fall could still begin (`fall_window_s` after they were last
        upright) and, once one has, for up to `coast_s`; only a pose found lying there
        counts as down, so a walker hidden behind a pillar costs a few crops and no alarm.
        """
        if self.pose is None or budget <= 0:
            return []
        lost = [
            (track_id, state)
            for track_id, state in self._tracks.items()
            if track_id not in seen and self._worth_coasting(state, at)
        ]
        lost = lost[:budget]
        if not lost:
            return []
        areas = np.stack([self._floor_area(state, at) for _, state in lost])
        findings = []
        for (track_id, state), area, pose in zip(
            lost, areas, self.pose.estimate(image_bgr, areas), strict=True
        ):
            state.last_pose_at = at
            posture = None if pose is None else pose_posture(pose, self.thresholds)
            if pose is None or posture is None or posture is Posture.UPRIGHT:
                continue  # nobody lying there: no evidence either way
            confident = pose.keypoints[pose.keypoints[:, 2] >= self.thresholds.min_keypoint_score]
            box = area
            if len(confident) >= 2:
                box = np.array(
                    [*confident[:, :2].min(axis=0), *confident[:, :2].max(axis=0)], np.float32
                )
            finding = self._advance(track_id, state, posture, box, pose.score, at)
            if finding is not None:
                findings.append(finding)
        return findings

    def _worth_coasting(self, state: _TrackState, at: datetime) -> bool:
        if state.fired or state.last_box is None or state.at_edge:
            return False  # an edge box most likely walked out of view
        if at - state.last_seen > self.coast:
            return False
        if state.last_pose_at is not None and at - state.last_pose_at < self.pose_interval:
            return False
        if state.down_since is not None:
            return True
        # Someone upright a moment ago may have dropped out of the detector's sight by
        # falling; after `fall_window_s` a new down could no longer count as a fall anyway.
        return state.last_upright_at is not None and at - state.last_upright_at <= self.fall_window

    def _floor_area(self, state: _TrackState, at: datetime) -> FloatArray:
        """Where someone who stood in `last_box` would lie: around their feet, body-long."""
        box = state.last_box if state.last_box is not None else np.zeros(4, np.float32)
        size = state.standing_height(at, self.standing_window) or float(box[3] - box[1])
        feet_x, feet_y = float(box[0] + box[2]) / 2, float(box[3])
        return np.array(
            [feet_x - 0.6 * size, feet_y - 0.5 * size, feet_x + 0.6 * size, feet_y + 0.1 * size],
            np.float32,
        )

    @staticmethod
    def _pose_age(state: _TrackState, at: datetime) -> float:
        if state.last_pose_at is None:
            return -float("inf")
        return -(at - state.last_pose_at).total_seconds()

    def _fused(self, box: Posture, state: _TrackState, at: datetime) -> Posture:
        if box is Posture.UPRIGHT:
            return box
        fresh = state.last_pose_at is not None and at - state.last_pose_at <= self.pose_stale
        if fresh and state.pose_posture is not None:
            return state.pose_posture
        return box

    # -- the fall state machine -------------------------------------------------------------

    def _advance(
        self,
        track_id: int,
        state: _TrackState,
        posture: Posture,
        box: FloatArray,
        confidence: float,
        at: datetime,
    ) -> FallFinding | None:
        centre = (float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2)
        if posture is Posture.UPRIGHT:
            state.upright_heights.append((at, float(box[3] - box[1])))
            state.last_upright_at = at
            state.end_episode()
            state.fired = False
            return None
        if state.down_since is None:
            if posture is not Posture.DOWN or state.fired:
                return None
            if state.last_upright_at is None or at - state.last_upright_at > self.fall_window:
                return None  # never seen upright, or sank too slowly to be a fall
            state.down_since = at
            state.down_anchor = centre
            state.down_scale = state.standing_height(at, self.standing_window) or float(
                box[3] - box[1]
            )
        drift = np.hypot(centre[0] - state.down_anchor[0], centre[1] - state.down_anchor[1])
        if drift > self.max_drift * state.down_scale:
            state.end_episode()
            state.last_upright_at = None  # moving on: a fall needs a fresh upright -> down
            return None
        state.episode_observations += 1
        state.episode_confidence += confidence
        if posture is Posture.DOWN:
            state.episode_down += 1
            state.last_down_at = at
        return self._maybe_fire(track_id, state, box, at)

    def _maybe_fire(
        self, track_id: int, state: _TrackState, box: FloatArray, at: datetime
    ) -> FallFinding | None:
        if state.fired or state.down_since is None or state.last_down_at is None:
            return None
        if at - state.down_since < self.min_down or at - state.last_down_at > self.down_hold:
            return None
        down_fraction = state.episode_down / max(state.episode_observations, 1)
        if down_fraction < self.min_down_fraction:
            return None
        state.fired = True
        mean_confidence = state.episode_confidence / max(state.episode_observations, 1)
        x1, y1, x2, y2 = (float(v) for v in box)
        finding = FallFinding(
            track_id=track_id,
            confidence=round(down_fraction * mean_confidence, 4),
            region_xyxy=(x1, y1, x2, y2),
            occurred_at=at,
            down_since=state.down_since,
        )
        # Two tracks lost side by side can both find the same person lying by pose.
        self._recent = [f for f in self._recent if at - f.occurred_at <= self.same_fall]
        if any(
            f.track_id != track_id and _same_place(finding.region_xyxy, f.region_xyxy)
            for f in self._recent
        ):
            return None
        self._recent.append(finding)
        return finding

    def _forget(self, at: datetime) -> None:
        for track_id in [t for t, s in self._tracks.items() if at - s.last_seen > self.forget]:
            del self._tracks[track_id]


def _same_place(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two regions overlap by at least a third of the smaller one."""
    overlap = box_overlap_of_smaller(np.array([a], np.float64), np.array([b], np.float64))
    return bool(overlap[0, 0] >= 1 / 3)
