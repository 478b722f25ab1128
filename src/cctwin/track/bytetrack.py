"""ByteTrack (Roboflow's `trackers`) with appearance, fed by frame time so sampling is handled."""

from __future__ import annotations

import itertools
import statistics
from collections import deque

import numpy as np
import numpy.typing as npt

from cctwin.config import ByteTrackConfig
from cctwin.track.appearance import AppearanceByteTrack
from cctwin.track.tracker import EarlierBoxes
from cctwin.types import Detections


class ByteTracker:
    """One ByteTrack per class (optional), with ids unique across classes on a camera.

    A track is reported once confirmed (see `_confirm`). The boxes it had before that are
    kept (the last `score_history` of them) and handed out by `take_earlier` when it is, so
    an offline analysis can write a person's whole track, not only the part after the
    tracker became sure; live consumers simply never ask.
    """

    def __init__(self, config: ByteTrackConfig, frame_rate: float) -> None:
        self.config = config
        self.frame_rate = max(frame_rate, 0.1)
        self._trackers: dict[int, AppearanceByteTrack] = {}
        self._ids: dict[tuple[int, int], int] = {}
        self._next_id = itertools.count(1)
        self._scores: dict[int, deque[float]] = {}
        self._confirmed: set[int] = set()
        self._pending: dict[int, deque[tuple[float, Detections]]] = {}
        self._earlier: list[EarlierBoxes] = []
        self._now = 0.0

    def _tracker_for(self, group: int) -> AppearanceByteTrack:
        if group not in self._trackers:
            # The package counts its lost-track buffer in 30 fps frames.
            self._trackers[group] = AppearanceByteTrack(
                appearance_weight=self.config.appearance_weight,
                relink_similarity=self.config.relink_similarity,
                appearance_veto=self.config.appearance_veto,
                lost_track_buffer=max(1, round(self.config.lost_track_s * 30)),
                frame_rate=self.frame_rate,
                track_activation_threshold=self.config.activation_confidence,
                minimum_consecutive_frames=self.config.min_consecutive_frames,
                minimum_iou_threshold=self.config.match_iou,
                high_conf_det_threshold=self.config.high_confidence,
            )
        return self._trackers[group]

    def update(self, detections: Detections, frame_time_s: float) -> Detections:
        self._now = frame_time_s
        if self.config.per_class:
            groups = np.unique(detections.class_id).tolist()
            # Every existing tracker must see every frame, or its clock and lost counters stall.
            all_groups = sorted(set(groups) | set(self._trackers))
        else:
            all_groups = [-1]
        parts: list[Detections] = []
        for group in all_groups:
            subset = detections if group == -1 else detections[detections.class_id == group]
            rows, local_ids = self._tracker_for(group).step(
                subset.xyxy.astype(np.float32),
                subset.confidence.astype(np.float32),
                subset.embedding.astype(np.float32),
                frame_time_s,
            )
            confirmed = local_ids >= 0
            if not confirmed.any():
                continue
            global_ids = np.array(
                [self._global_id(group, int(i)) for i in local_ids[confirmed]], dtype=np.int64
            )
            picked = subset[rows[confirmed]]
            parts.append(
                Detections(
                    xyxy=picked.xyxy,
                    confidence=picked.confidence,
                    class_id=picked.class_id,
                    track_id=global_ids,
                )
            )
        if not parts:
            self._forget_unconfirmed()
            return Detections.empty()
        tracks = Detections(
            xyxy=np.concatenate([p.xyxy for p in parts]),
            confidence=np.concatenate([p.confidence for p in parts]),
            class_id=np.concatenate([p.class_id for p in parts]),
            track_id=np.concatenate([p.track_id for p in parts]),
        )
        kept = tracks[self._confirm(tracks)]
        self._forget_unconfirmed()
        return kept

    def _forget_unconfirmed(self) -> None:
        """Drop the history of unconfirmed tracks unseen for longer than a track may be lost."""
        stale = [
            track
            for track, pending in self._pending.items()
            if self._now - pending[-1][0] > self.config.lost_track_s
        ]
        for track in stale:
            del self._pending[track]
            self._scores.pop(track, None)

    def _confirm(self, tracks: Detections) -> npt.NDArray[np.bool_]:
        """Report a track once the median of its recent scores is high enough (and from then on).

        A single confident frame of a sign post or a cone is common; a consistently confident
        history is not, which is what separates clutter from people (Frigate's rule too).
        """
        keep = np.zeros(len(tracks), dtype=bool)
        for row, (track, score) in enumerate(
            zip(tracks.track_id.tolist(), tracks.confidence.tolist(), strict=True)
        ):
            if track not in self._confirmed:
                history = self._scores.setdefault(track, deque(maxlen=self.config.score_history))
                history.append(score)
                # statistics.median gives np.median's value at a fraction of the cost.
                if statistics.median(history) >= self.config.confirm_score:
                    self._confirmed.add(track)
                    del self._scores[track]  # confirmation is for good: the history is done
                    self._release(track)
                else:
                    pending = self._pending.setdefault(
                        track, deque(maxlen=self.config.score_history)
                    )
                    pending.append((self._now, tracks[np.array([row])]))
            keep[row] = track in self._confirmed
        return keep

    def _release(self, track: int) -> None:
        for frame_time_s, boxes in self._pending.pop(track, ()):
            self._earlier.append(EarlierBoxes(frame_time_s, boxes))

    def take_earlier(self) -> list[EarlierBoxes]:
        """Boxes of tracks confirmed since the last call, from the frames before that."""
        earlier, self._earlier = self._earlier, []
        return earlier

    def _global_id(self, group: int, local_id: int) -> int:
        key = (group, local_id)
        if key not in self._ids:
            self._ids[key] = next(self._next_id)
        return self._ids[key]
