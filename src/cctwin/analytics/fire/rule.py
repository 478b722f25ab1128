"""Fire and smoke on one camera as events: scored at an interval, one event per episode."""

from __future__ import annotations

from datetime import datetime, timedelta

from cctwin.analytics.fire.detector import FireAnalyzer, FireFinding, StillScorer
from cctwin.config import FireConfig
from cctwin.geometry import normalise_box
from cctwin.messages import FirePayload
from cctwin.types import Analysis, Detections, Event, EventKind, Frame

_KINDS = {"buildingFire": EventKind.BUILDING_FIRE, "smoke": EventKind.SMOKE}


class FireRule:
    """Runs the fire analyser at most every `interval_s` and reports each episode once.

    Confirmation repeats on every scored frame while a fire burns; operators want one event
    when it starts, and another only after it has been out of sight for `quiet_s`.
    """

    def __init__(
        self, camera_id: str, config: FireConfig, scorer: StillScorer, quiet_s: float = 60.0
    ) -> None:
        self.camera_id = camera_id
        self.config = config
        self.quiet = timedelta(seconds=quiet_s)
        self.analyzer = FireAnalyzer(scorer, every=1, k=config.confirm_k, n=config.confirm_n)
        self._next_at: datetime | None = None
        self._last_seen: dict[str, datetime] = {}

    @property
    def name(self) -> str:
        return f"fire:{self.config.id}"

    def update(self, frame: Frame, tracks: Detections) -> Analysis:
        at = frame.captured_at
        if self._next_at is not None and at < self._next_at:
            return Analysis()
        self._next_at = at + timedelta(seconds=self.config.interval_s)
        findings = self.analyzer.update(self.camera_id, frame.image, at, tracks.xyxy)
        return Analysis(events=[self._event(f, frame) for f in findings if self._is_new(f, at)])

    def _is_new(self, finding: FireFinding, at: datetime) -> bool:
        if finding.kind == "smoke" and not self.config.smoke:
            return False
        last = self._last_seen.get(finding.kind)
        self._last_seen[finding.kind] = at
        return last is None or at - last > self.quiet

    def _event(self, finding: FireFinding, frame: Frame) -> Event:
        region = finding.region_xyxy
        return Event(
            kind=_KINDS[finding.kind],
            camera_id=self.camera_id,
            rule_id=self.config.id,
            occurred_at=frame.captured_at,
            frame_index=frame.index,
            track_id=-1,
            class_name="fire" if finding.kind == "buildingFire" else "smoke",
            confidence=round(float(finding.confidence), 4),
            payload=FirePayload(
                region=None if region is None else normalise_box(region, frame.width, frame.height)
            ),
            detected_monotonic_s=frame.received_monotonic_s,
        )
