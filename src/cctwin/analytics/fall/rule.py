"""Falls on one camera as `fallenPerson` events: tracked people fed to the fall detector."""

from __future__ import annotations

from cctwin.analytics.fall.detector import FallDetector, FallFinding
from cctwin.analytics.fall.pose import PoseModel
from cctwin.config import FallConfig
from cctwin.detect.labels import PERSON
from cctwin.geometry import normalise_box
from cctwin.messages import FallPayload
from cctwin.types import Analysis, Detections, Event, EventKind, Frame


class FallRule:
    """Passes every frame's confirmed person tracks to a `FallDetector`, one event per fall.

    The detector judges box shape on every frame and runs pose (when given a model) only
    where the box is not plainly upright, at most every `pose_interval_s` per person; it
    raises each fall once, when the person has been down `min_down_s`.
    """

    def __init__(self, camera_id: str, config: FallConfig, pose: PoseModel | None) -> None:
        self.camera_id = camera_id
        self.config = config
        self.detector = FallDetector(
            min_down_s=config.min_down_s,
            pose=pose if config.pose else None,
            pose_interval_s=config.pose_interval_s,
        )

    @property
    def name(self) -> str:
        return f"fall:{self.config.id}"

    def update(self, frame: Frame, tracks: Detections) -> Analysis:
        # Untracked rows (id -1) would all share one state in the detector.
        people = tracks[(tracks.class_id == PERSON) & (tracks.track_id >= 0)]
        findings = self.detector.update(
            frame.image, frame.captured_at, people.xyxy, people.track_id, people.confidence
        )
        return Analysis(events=[self._event(f, frame) for f in findings])

    def _event(self, finding: FallFinding, frame: Frame) -> Event:
        return Event(
            kind=EventKind.FALLEN_PERSON,
            camera_id=self.camera_id,
            rule_id=self.config.id,
            occurred_at=finding.occurred_at,
            frame_index=frame.index,
            track_id=finding.track_id,
            class_name="person",
            confidence=round(float(finding.confidence), 4),
            # How long the person has been down, so alert rules can ask for longer.
            payload=FallPayload(
                dwell_s=round((finding.occurred_at - finding.down_since).total_seconds(), 3),
                region=normalise_box(finding.region_xyxy, frame.width, frame.height),
            ),
            detected_monotonic_s=frame.received_monotonic_s,
        )
