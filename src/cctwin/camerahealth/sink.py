"""The audit in the analysis worker: a step sink over frames the loop already decoded.

One frame per `sample_interval_s` of stream is audited per camera. The camera's latest
health rides on its `CameraStatus` (published at once when the raised reasons change, then
with every periodic status), and each fault raised or cleared (but `under_2mp`, a planning
fact) is a `camera_health` Event, so alert rules can turn it into an alert for operators.
Reference views are kept in the media folder: a restart judges against the same normal view.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cctwin.bus.protocol import Publisher
from cctwin.camerahealth.audit import CameraAuditor
from cctwin.camerahealth.reference import load_reference, reference_path, save_reference
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.loop import CameraRuntime
from cctwin.messages import (
    CameraStatus,
    Event,
    EventKind,
    HealthCheck,
    HealthPayload,
    HealthReason,
)
from cctwin.pipeline import StepResult
from cctwin.types import Frame

log = logging.getLogger(__name__)
StatusOf = Callable[[CameraRuntime, float], CameraStatus]


def health_event(camera_id: str, frame: Frame, change: HealthCheck) -> Event:
    """The Event of one reason raised or cleared on a camera at a frame."""
    return Event(
        kind=EventKind.CAMERA_HEALTH,
        camera_id=camera_id,
        rule_id=f"health.{change.reason.value}",
        occurred_at=frame.captured_at,
        frame_index=frame.index,
        class_name="camera",
        confidence=1.0,
        payload=HealthPayload(
            reason=change.reason,
            raised=change.raised,
            value=change.value,
            threshold=change.threshold if change.threshold is not None else 0.0,
        ),
    )


class HealthSink:
    """Step sink: audits sampled frames, publishes health events and status on change."""

    def __init__(
        self,
        config: CameraHealthConfig,
        publisher: Publisher,
        status_of: StatusOf,
        references: Path | None = None,
    ) -> None:
        """`references`: the media folder whose stored reference views are used and kept."""
        self.config = config
        self.publisher = publisher
        self.status_of = status_of
        self.references = references
        self.auditors: dict[str, CameraAuditor] = {}
        self._unsaved: set[str] = set()

    def _auditor(self, camera_id: str) -> CameraAuditor:
        auditor = self.auditors.get(camera_id)
        if auditor is None:
            stored = None
            if self.references is not None:
                stored = load_reference(reference_path(self.references, camera_id))
                if stored is None:
                    self._unsaved.add(camera_id)
            auditor = self.auditors[camera_id] = CameraAuditor(self.config, stored)
        return auditor

    def _keep_reference(self, camera_id: str, auditor: CameraAuditor) -> None:
        if camera_id not in self._unsaved or auditor.reference is None or self.references is None:
            return
        self._unsaved.discard(camera_id)
        try:
            save_reference(auditor.reference, reference_path(self.references, camera_id))
        except OSError as exc:  # a read-only media folder: the audit goes on without it
            log.warning("%s: cannot keep the reference view: %s", camera_id, exc)

    def on_step(self, runtime: CameraRuntime, step: StepResult) -> None:
        frame = step.frame
        auditor = self._auditor(frame.camera_id)
        if not auditor.due(frame.stream_time_s):
            return
        main = runtime.camera.sampling.stream == "main"
        update = auditor.update(
            frame.image, frame.stream_time_s, frame.captured_at, frame.scale, main_stream=main
        )
        self._keep_reference(frame.camera_id, auditor)
        before = runtime.health
        runtime.health = update.health
        for change in update.changes:
            # The resolution is a planning fact on the status and the twin, not news: each
            # restart of a worker would otherwise report it again as an event.
            if change.reason is not HealthReason.UNDER_2MP:
                self.publisher.publish(health_event(frame.camera_id, frame, change))
        if (
            before is None
            or before.reasons != update.health.reasons
            or before.reference_ready != update.health.reference_ready
        ):
            self.publisher.publish(self.status_of(runtime, time.monotonic()))

    def on_tick(self, runtimes: Sequence[CameraRuntime], now: float) -> None:
        """Nothing timed: the periodic status already carries `runtime.health`."""
