"""All analytics of one camera, run in a fixed order on each tracked frame."""

from __future__ import annotations

import time
from collections.abc import Sequence

from cctwin.analytics.lines import LineAnalyzer
from cctwin.analytics.rules import RuleAnalyzer
from cctwin.analytics.safety import SafetyAnalyser
from cctwin.analytics.stages import StageClock
from cctwin.analytics.zones import ZoneAnalyzer
from cctwin.config import AnalyticsConfig
from cctwin.types import Analysis, Detections, Frame


class CameraAnalytics:
    """Zones first (they keep the visits), then the rules that read them, then lines, then safety."""

    def __init__(
        self,
        camera_id: str,
        config: AnalyticsConfig,
        safety: Sequence[SafetyAnalyser] = (),
        clock: StageClock | None = None,
    ) -> None:
        self.safety = list(safety)
        self.clock = clock
        self.zones = ZoneAnalyzer(
            camera_id, config.zones, config.exit_after_s, config.observation_interval_s
        )
        self.rules = RuleAnalyzer(camera_id, self.zones, config.loitering, config.intrusion)
        self.lines = LineAnalyzer(
            camera_id, config.lines, config.exit_after_s * 2, config.observation_interval_s
        )

    def update(self, frame: Frame, detections: Detections) -> Analysis:
        zone_result = self.zones.update(frame, detections)
        rule_events = self.rules.update(frame)
        line_result = self.lines.update(frame, detections)
        events = zone_result.events + rule_events + line_result.events
        observations = zone_result.observations + line_result.observations
        for analyser in self.safety:
            started = time.perf_counter()
            result = analyser.update(frame, detections)
            if self.clock is not None:
                self.clock.add(f"safety.{analyser.name}", time.perf_counter() - started)
            events += result.events
            observations += result.observations
        return Analysis(events=events, observations=observations)
