"""ByteTrack's two-stage matching with appearance in the first stage and in re-finding lost tracks."""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np
import numpy.typing as npt
from trackers import ByteTrackTracker
from trackers.core.bytetrack.tracklet import ByteTrackTracklet
from trackers.core.bytetrack.utils import _get_alive_tracklets

from cctwin.track.association import (
    FloatArray,
    assign,
    cosine_matrix,
    fused_similarity,
    iou_matrix,
    relink_similarity,
)

IntArray = npt.NDArray[np.int64]
# Each new look moves a track's embedding 10 % of the way (BoT-SORT's 0.9): one occluded or
# blurred box cannot overwrite who the track is.
MOMENTUM = 0.9
# Lost people walk at most this many body heights per second while hidden (about 1.5 m/s).
REACH_HEIGHTS_PER_S = 1.0


class LookingTracklet(ByteTrackTracklet):
    """A ByteTrack tracklet that also remembers how its object looks and where it was last seen."""

    def __init__(self, box: FloatArray, embedding: FloatArray) -> None:
        super().__init__(initial_bbox=box)
        self.embedding = embedding.copy()
        self.last_box = box.copy()

    def observe(self, box: FloatArray, embedding: FloatArray | None) -> None:
        """A matched box; `embedding` None when the box is too unsure to describe the track."""
        self.update(box)
        if embedding is None:
            return
        # Only confident boxes say where the whole person was: an unsure one is often a
        # head above a sign, whose small size would shrink the re-finding reach to nothing.
        self.last_box = box.copy()
        if embedding.size == 0:
            return
        if self.embedding.size == 0:
            self.embedding = embedding.copy()
            return
        mixed = MOMENTUM * self.embedding + (1 - MOMENTUM) * embedding
        self.embedding = np.asarray(mixed / max(float(np.linalg.norm(mixed)), 1e-6), np.float32)


class AppearanceByteTrack(ByteTrackTracker):
    """`trackers`' ByteTrack (Kalman, timing, pruning) with an appearance-aware matcher."""

    # The package registers every subclass by these (for its tuner): a name of our own keeps
    # its "bytetrack" entry intact, and no search space since our __init__ takes **kwargs.
    tracker_id = "cctwin-bytetrack-appearance"
    search_space: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(
        self,
        appearance_weight: float,
        relink_similarity: float,
        appearance_veto: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.appearance_weight = appearance_weight
        self.relink_min = relink_similarity
        self.veto = appearance_veto

    def step(
        self, boxes: FloatArray, scores: FloatArray, embeddings: FloatArray, timestamp: float
    ) -> tuple[IntArray, IntArray]:
        """Rows of this frame's boxes that belong to a track, and their ids (-1: not yet)."""
        timing = self._predict_timing(timestamp)
        if timing.skip_update or (not self.tracks and len(boxes) == 0):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        self._predict_tracklets(self.tracks, timing)
        budget = self._lost_track_time_budget(timing, self.maximum_time_without_update)
        self._prune_lost_tracks(timing)
        high = np.flatnonzero(scores >= self.high_conf_det_threshold)
        low = np.flatnonzero(scores < self.high_conf_det_threshold)
        out: dict[int, int] = {}

        # Stage 1: confident boxes against every track, by overlap and appearance.
        # Every tracklet here is spawned by `_spawn`, so all are LookingTracklets.
        tracks = cast(list[LookingTracklet], self.tracks)
        predicted = _predicted_boxes(tracks)
        known = np.array([t.embedding.size > 0 for t in tracks], dtype=bool)
        looks = _embeddings(tracks, embeddings.shape[1])
        similarity = fused_similarity(
            iou_matrix(predicted, boxes[high]),
            cosine_matrix(looks, embeddings[high]),
            known,
            self.appearance_weight,
            self.minimum_iou_threshold,
            self.veto,
        )
        pairs, free_tracks, free_high = assign(similarity, self.minimum_iou_threshold)
        for row, col in pairs:
            self._observe(tracks[row], int(high[col]), boxes, embeddings, out, describe=True)

        # Stage 2: unsure boxes (often half hidden) continue the rest by overlap; appearance
        # only vetoes, so a track cannot slide onto the sign post its person walked past.
        rest = [tracks[i] for i in free_tracks]
        similarity = fused_similarity(
            iou_matrix(predicted[free_tracks], boxes[low]),
            cosine_matrix(looks[free_tracks], embeddings[low]),
            known[free_tracks],
            0.0,
            self.minimum_iou_threshold,
            self.veto,
        )
        pairs, free_rest, _ = assign(similarity, self.minimum_iou_threshold)
        for row, col in pairs:
            self._observe(rest[row], int(low[col]), boxes, embeddings, out, describe=False)

        # Stage 3: a confident box far from any prediction may be a lost track seen again.
        lost = [rest[i] for i in free_rest if rest[i].tracker_id != -1]
        unclaimed = self._relink(lost, high[free_high], boxes, embeddings, out)
        self._spawn(unclaimed, boxes, scores, embeddings, out)
        self.tracks = _get_alive_tracklets(
            tracklets=self.tracks,
            minimum_consecutive_frames=self.minimum_consecutive_frames,
            maximum_frames_without_update=self.maximum_frames_without_update,
            maximum_time_without_update=budget,
        )
        rows = np.array(sorted(out), dtype=np.int64)
        return rows, np.array([out[r] for r in rows.tolist()], dtype=np.int64)

    def _observe(
        self,
        track: LookingTracklet,
        row: int,
        boxes: FloatArray,
        embeddings: FloatArray,
        out: dict[int, int],
        describe: bool,
    ) -> None:
        track.observe(boxes[row], embeddings[row] if describe else None)
        if (
            track.tracker_id == -1
            and track.number_of_successful_consecutive_updates >= self.minimum_consecutive_frames
        ):
            track.tracker_id = self._allocate_tracker_id()
        out[row] = int(track.tracker_id)

    def _relink(
        self,
        lost: list[LookingTracklet],
        candidates: IntArray,
        boxes: FloatArray,
        embeddings: FloatArray,
        out: dict[int, int],
    ) -> list[int]:
        """Give lost tracks back the confident boxes that look like them; the rest stay new."""
        if not lost or len(candidates) == 0 or self.relink_min >= 1.0:
            return [int(c) for c in candidates]
        similarity = relink_similarity(
            np.stack([t.last_box for t in lost]).astype(np.float32),
            np.array([t.time_since_update_seconds for t in lost], dtype=np.float32),
            _embeddings(lost, embeddings.shape[1]),
            boxes[candidates],
            embeddings[candidates],
            REACH_HEIGHTS_PER_S,
        )
        pairs, _, free = assign(similarity, self.relink_min)
        for row, col in pairs:
            self._observe(lost[row], int(candidates[col]), boxes, embeddings, out, describe=True)
        return [int(candidates[c]) for c in free]

    def _spawn(
        self,
        rows: list[int],
        boxes: FloatArray,
        scores: FloatArray,
        embeddings: FloatArray,
        out: dict[int, int],
    ) -> None:
        for row in rows:
            out[row] = -1
            if float(scores[row]) >= self.track_activation_threshold:
                self.tracks.append(LookingTracklet(boxes[row], embeddings[row]))


def _predicted_boxes(tracks: list[LookingTracklet]) -> FloatArray:
    if not tracks:
        return np.empty((0, 4), np.float32)
    return np.stack([t.get_state_bbox() for t in tracks]).astype(np.float32)


def _embeddings(tracks: list[LookingTracklet], width: int) -> FloatArray:
    """Tracks' embeddings as rows; zeros for a track that has none yet."""
    out = np.zeros((len(tracks), width), dtype=np.float32)
    for i, track in enumerate(tracks):
        if track.embedding.size == width:
            out[i] = track.embedding
    return out
