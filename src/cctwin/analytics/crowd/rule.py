"""Crowd count, density and risk of one zone as observations and `crowdRisk` events."""

from __future__ import annotations

from cctwin.analytics.crowd.calibration import LevelChange
from cctwin.analytics.crowd.zone import CrowdReading, DensityModel, ZoneCrowdMonitor
from cctwin.analytics.ground import Homography
from cctwin.config import CrowdConfig, ZoneConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import bounding_box_norm, ground_area_m2, pixel_homography, to_pixels
from cctwin.messages import CrowdPayload
from cctwin.types import (
    Analysis,
    Detections,
    Event,
    EventKind,
    Frame,
    Observation,
    ObservationKind,
)

PERSON = COCO_LABELS.index("person")


class CrowdRule:
    """Feeds a zone's tracked people to its monitor; the monitor is built on the first frame.

    Zones and the ground plane are normalised; the monitor works in analysis pixels, which
    are known only once a frame has arrived.
    """

    def __init__(
        self,
        camera_id: str,
        config: CrowdConfig,
        zone: ZoneConfig,
        ground: Homography | None,
        density_model: DensityModel | None,
    ) -> None:
        self.camera_id = camera_id
        self.config = config
        self.zone = zone
        self.ground = ground
        self.density_model = density_model
        self.area_m2 = None if ground is None else ground_area_m2(zone.polygon, ground)
        self.monitor: ZoneCrowdMonitor | None = None
        self._pixel_ground: Homography | None = None

    @property
    def name(self) -> str:
        return f"crowd:{self.config.id}"

    def _monitor_for(self, frame: Frame) -> ZoneCrowdMonitor:
        if self.monitor is None:
            w, h = frame.width, frame.height
            polygon = [(float(x), float(y)) for x, y in to_pixels(self.zone.polygon, w, h)]
            self.monitor = ZoneCrowdMonitor.from_config(
                self.config, polygon, self.area_m2, self.density_model
            )
            if self.ground is not None:
                self._pixel_ground = pixel_homography(self.ground, w, h)
        return self.monitor

    def update(self, frame: Frame, tracks: Detections) -> Analysis:
        monitor = self._monitor_for(frame)
        people = tracks[tracks.class_id == PERSON]
        reading = monitor.update(
            frame.image, frame.captured_at, people.xyxy, people.track_id, self._pixel_ground
        )
        if reading is None:
            return Analysis()
        change = reading.level_change
        events = [] if change is None else [self._event(reading, change, frame)]
        return Analysis(events=events, observations=self._observations(reading))

    def _observations(self, reading: CrowdReading) -> list[Observation]:
        level = None if reading.level is None else reading.level.name

        def observation(kind: ObservationKind, value: float) -> Observation:
            return Observation(
                kind=kind,
                camera_id=self.camera_id,
                rule_id=self.config.id,
                observed_at=reading.at,
                value=value,
                class_name="person",
                level=level,
                method=reading.method,
            )

        found = [observation(ObservationKind.CROWD_COUNT, reading.count)]
        if reading.density_per_m2 is not None:
            found.append(observation(ObservationKind.CROWD_DENSITY, reading.density_per_m2))
        if reading.mean_speed_m_s is not None:
            found.append(observation(ObservationKind.CROWD_SPEED, reading.mean_speed_m_s))
        return found

    def _event(self, reading: CrowdReading, change: LevelChange, frame: Frame) -> Event:
        return Event(
            kind=EventKind.CROWD_RISK,
            camera_id=self.camera_id,
            rule_id=self.config.id,
            zone_id=self.zone.id,
            occurred_at=reading.at,
            frame_index=frame.index,
            track_id=-1,
            class_name="person",
            confidence=1.0,
            payload=CrowdPayload(
                level="normal" if change.current is None else change.current.name,
                value=round(change.density, 3),
                region=bounding_box_norm(self.zone.polygon),
            ),
            detected_monotonic_s=frame.received_monotonic_s,
        )
