"""The safety analysers of a camera, built from its config over models loaded once per process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cctwin.analytics.crowd.density import DensityCounter
from cctwin.analytics.crowd.rule import CrowdRule
from cctwin.analytics.crowd.zone import DensityModel
from cctwin.analytics.fall.pose import PoseEstimator, PoseModel
from cctwin.analytics.fall.rule import FallRule
from cctwin.analytics.fire.detector import FireDetector, StillScorer
from cctwin.analytics.fire.rule import FireRule
from cctwin.analytics.flood.monitor import Segmenter
from cctwin.analytics.flood.rule import FloodRule
from cctwin.analytics.flood.segment import WaterSegmenter
from cctwin.analytics.ground import ground_homography
from cctwin.config import AnalyticsConfig
from cctwin.types import Analysis, Detections, Frame


class SafetyAnalyser(Protocol):
    """One safety rule of one camera; it decides itself how often to do real work."""

    @property
    def name(self) -> str:
        """`kind:rule id`, the stage name its time is recorded under."""
        ...

    def update(self, frame: Frame, tracks: Detections) -> Analysis: ...


class SafetyModels:
    """Heavy models shared by every camera of a worker, each loaded on first use only."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._fire: StillScorer | None = None
        self._water: WaterSegmenter | None = None
        self._density: DensityModel | None = None
        self._pose: PoseModel | None = None

    def fire_scorer(self) -> StillScorer:
        if self._fire is None:
            self._fire = FireDetector(threads=self.threads)
        return self._fire

    def water_segmenter(self, roi: Sequence[tuple[float, float]]) -> Segmenter:
        """The shared segmenter, looking only at one ROI's box (and some context)."""
        if self._water is None:
            self._water = WaterSegmenter()
        return self._water.within(roi)

    def density_model(self) -> DensityModel:
        if self._density is None:
            self._density = DensityCounter(threads=self.threads)
        return self._density

    def pose_model(self) -> PoseModel:
        if self._pose is None:
            self._pose = PoseEstimator(threads=self.threads)
        return self._pose


def build_safety(
    camera_id: str, config: AnalyticsConfig, models: SafetyModels
) -> list[SafetyAnalyser]:
    """Every safety rule the camera's analytics config asks for, in a fixed order."""
    analysers: list[SafetyAnalyser] = []
    ground = None if config.calibration is None else ground_homography(config.calibration)
    zones = {z.id: z for z in config.zones}
    for crowd in config.crowd:
        # Detector-only zones never load the density model.
        density = None if crowd.method == "detector" else models.density_model()
        analysers.append(CrowdRule(camera_id, crowd, zones[crowd.zone], ground, density))
    if config.fire is not None:
        analysers.append(FireRule(camera_id, config.fire, models.fire_scorer()))
    analysers.extend(FloodRule(camera_id, f, models.water_segmenter(f.roi)) for f in config.flood)
    if config.fall is not None:
        # Box-shape-only rules never load the pose model.
        pose = models.pose_model() if config.fall.pose else None
        analysers.append(FallRule(camera_id, config.fall, pose))
    return analysers
