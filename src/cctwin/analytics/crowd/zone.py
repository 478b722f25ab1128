"""Per-zone crowd monitor: count, density per m2, risk level, flow and speed from tracked people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.analytics.crowd.calibration import (
    SEOUL_BANDS,
    LevelChange,
    RiskBand,
    RiskLevelTracker,
)
from cctwin.analytics.crowd.density import DensityCounter, DensityResult
from cctwin.analytics.crowd.hybrid import (
    NO_SCALE,
    CountMethod,
    DensityScale,
    SwitchRule,
    choose_method,
    floor_corrected_count,
    half_side,
)
from cctwin.config.safety import CrowdConfig
from cctwin.geometry import (
    PreparedPolygon,
    apply_homography,
    ground_area_m2,
    pixel_bounds,
    polygon_mask,
)

MethodSetting = Literal["auto", "detector", "density"]
# A track unseen this long is forgotten, so ids a tracker reuses do not inherit old state.
TRACK_MEMORY_S = 10.0
# Speeds from shorter track spans are mostly box jitter.
MIN_SPEED_SPAN_S = 0.5


class DensityModel(Protocol):
    """What the monitor needs from a density model (DensityCounter fits)."""

    def count(
        self,
        image_bgr: npt.NDArray[np.uint8],
        roi_mask: npt.NDArray[np.bool_] | None = ...,
        max_side: int = ...,
    ) -> DensityResult: ...


@dataclass(frozen=True, slots=True)
class CrowdReading:
    """One `crowd.density` observation of a zone.

    `density_per_m2` is None without a calibrated area: a count is not a density.
    `level_change` is set only on the reading where the risk band changed.
    `flow_in`/`flow_out` count tracks whose foot point crossed the zone edge since the last
    reading; `mean_speed_m_s` is the mean ground speed of tracks inside (None uncalibrated).
    """

    zone_id: str
    at: datetime
    count: float
    method: CountMethod
    detector_count: int
    density_count: float | None
    area_m2: float | None
    density_per_m2: float | None
    level: RiskBand | None
    level_change: LevelChange | None
    flow_in: int
    flow_out: int
    mean_speed_m_s: float | None
    speed_tracks: int


@dataclass(frozen=True, slots=True)
class _DensityEstimate:
    at: datetime
    raw_count: float
    corrected_count: float
    cells: int
    # The density path's count: the raw sum times DensityScale's factor for this input size.
    scaled_count: float
    # A low-resolution screen only decides whether the zone needs a full estimate; its count
    # is never reported.
    screen: bool = False
    # The floor-corrected sum with the input halved (SwitchRule's confirmation); measured
    # only when the full-size estimate would switch to density.
    corrected_at_half: float | None = None


@dataclass(slots=True)
class _TrackState:
    inside: bool
    last_seen: datetime
    # Ground positions (time, x, y) inside the zone since the last reading.
    path: list[tuple[datetime, float, float]] = field(default_factory=list)


class ZoneCrowdMonitor:
    """Counts one zone from tracked person boxes, switching to CSRNet when people are packed.

    CSRNet runs at most every `density_interval_s`, on the zone's bounding crop only, and
    never when `method` is `detector`. Call `update` for every analysed frame; it returns a
    reading every `observation_interval_s` and None in between.
    """

    def __init__(
        self,
        zone_id: str,
        polygon_px: Sequence[tuple[float, float]],
        area_m2: float | None = None,
        bands: Sequence[RiskBand] = SEOUL_BANDS,
        hysteresis: float = 0.5,
        density_interval_s: float = 5.0,
        observation_interval_s: float = 5.0,
        method: MethodSetting = "auto",
        density_model: DensityModel | None = None,
        rule: SwitchRule | None = None,
        density_max_side: int = 1024,
        sparse_density_interval_s: float = 30.0,
        screen_max_side: int = 512,
        scale: DensityScale | None = None,
    ) -> None:
        if len(polygon_px) < 3:
            raise ValueError(f"zone {zone_id}: a polygon needs at least 3 points")
        if area_m2 is not None and area_m2 <= 0:
            raise ValueError(f"zone {zone_id}: area_m2 must be positive")
        self.zone_id = zone_id
        self.polygon = np.asarray(polygon_px, dtype=np.float64).reshape(-1, 2)
        self._prepared = PreparedPolygon.of(self.polygon)
        self.area_m2 = area_m2
        self.method: MethodSetting = method
        self.density_interval_s = density_interval_s
        self.observation_interval_s = observation_interval_s
        self.rule = rule or SwitchRule()
        # The size correction is the bundled CSRNet's; another model's sum is taken as it is.
        bundled = density_model is None or isinstance(density_model, DensityCounter)
        self.scale = scale or (DensityScale() if bundled else NO_SCALE)
        self.density_max_side = density_max_side
        self.sparse_density_interval_s = sparse_density_interval_s
        self.screen_max_side = screen_max_side
        # Whether the last density estimate found the zone packed, and how many people the
        # detector saw then: a sparse zone is re-checked rarely unless its count climbs.
        self._dense = False
        self._count_at_estimate = 0
        self._density_model = density_model
        self._levels = RiskLevelTracker(bands, hysteresis)
        self._estimate: _DensityEstimate | None = None
        self._last_reading_at: datetime | None = None
        self._tracks: dict[int, _TrackState] = {}
        self._flow_in = 0
        self._flow_out = 0

    @classmethod
    def from_config(
        cls,
        config: CrowdConfig,
        polygon_px: Sequence[tuple[float, float]],
        area_m2: float | None = None,
        density_model: DensityModel | None = None,
    ) -> ZoneCrowdMonitor:
        """A monitor for one `crowd:` entry; polygon_px is its zone in analysis pixels."""
        return cls(
            zone_id=config.zone,
            polygon_px=polygon_px,
            area_m2=area_m2,
            bands=[RiskBand(b.name, b.name_ko, b.persons_per_m2) for b in config.bands],
            hysteresis=config.hysteresis,
            density_interval_s=config.density_interval_s,
            observation_interval_s=config.observation_interval_s,
            method=config.method,
            density_model=density_model,
        )

    @property
    def level(self) -> RiskBand | None:
        """The current risk band (None = normal)."""
        return self._levels.level

    def _model(self) -> DensityModel:
        if self._density_model is None:
            # Loaded on first need: a detector-only zone never pays for the density model.
            from cctwin.analytics.crowd.density import DensityCounter

            self._density_model = DensityCounter(threads=1)
        return self._density_model

    def update(
        self,
        frame_image_bgr: npt.NDArray[np.uint8],
        at: datetime,
        person_xyxy: npt.NDArray[np.float32],
        track_ids: npt.NDArray[np.int64],
        ground_homography: npt.NDArray[np.float64] | None = None,
    ) -> CrowdReading | None:
        """Feed one frame's tracked person boxes; returns a reading when one is due."""
        boxes = np.asarray(person_xyxy, dtype=np.float64).reshape(-1, 4)
        if len(track_ids) != len(boxes):
            raise ValueError("track_ids needs one id per person box (-1 when untracked)")
        feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
        inside = self._prepared.contains(feet)
        ground = (
            apply_homography(ground_homography, feet) if ground_homography is not None else None
        )
        self._follow_tracks(at, np.asarray(track_ids, dtype=np.int64), inside, ground)
        detector_count = int(inside.sum())
        if self.method != "detector" and self._density_due(at, detector_count):
            estimate = self._estimate_density(frame_image_bgr, at, detector_count)
            self._estimate = estimate
            self._count_at_estimate = detector_count
            self._dense = self._method_of(estimate, detector_count) == "density"
        last = self._last_reading_at
        if last is not None and (at - last).total_seconds() < self.observation_interval_s:
            return None
        self._last_reading_at = at
        return self._reading(at, detector_count, ground_homography)

    def _density_due(self, at: datetime, detector_count: int) -> bool:
        if self._estimate is None:
            return True
        elapsed = (at - self._estimate.at).total_seconds()
        if self.method == "density" or self._dense:
            return elapsed >= self.density_interval_s
        # CSRNet costs about a second a call on one core: a zone the detector handles is
        # re-checked every `sparse_density_interval_s`, or sooner once its count climbs.
        climbing = detector_count >= 1.5 * self._count_at_estimate + 5
        return elapsed >= self.density_interval_s and (
            climbing or elapsed >= self.sparse_density_interval_s
        )

    def _estimate_density(
        self, image: npt.NDArray[np.uint8], at: datetime, detector_count: int
    ) -> _DensityEstimate:
        """Full-resolution CSRNet, screened first at low resolution while the zone is sparse.

        A screen at `screen_max_side` costs about a quarter of the full run. Lower resolution
        makes CSRNet's per-cell density larger, so the screen errs towards "packed"; only
        then is the full-resolution estimate paid for, and it alone decides and counts.
        """
        if (
            self.method == "auto"
            and not self._dense
            and self.screen_max_side < self.density_max_side
        ):
            screen = self._run_density(image, at, self.screen_max_side, screen=True)
            verdict = choose_method(detector_count, screen.corrected_count, screen.cells, self.rule)
            if verdict == "detector":
                return screen
        full = self._run_density(image, at, self.density_max_side)
        if self._method_of(full, detector_count) == "detector":
            return full
        # A crowd persists when the input is halved; a texture CSRNet misreads does not.
        height, width = image.shape[:2]
        x0, y0, x1, y1 = pixel_bounds(self.polygon, width, height)
        side = half_side((y1 - y0, x1 - x0), self.density_max_side)
        halved = self._run_density(image, at, side, screen=True)
        return replace(full, corrected_at_half=halved.corrected_count)

    def _method_of(self, estimate: _DensityEstimate, detector_count: int) -> CountMethod:
        return choose_method(
            detector_count,
            estimate.corrected_count,
            estimate.cells,
            self.rule,
            estimate.corrected_at_half,
        )

    def _run_density(
        self, image: npt.NDArray[np.uint8], at: datetime, max_side: int, screen: bool = False
    ) -> _DensityEstimate:
        height, width = image.shape[:2]
        x0, y0, x1, y1 = pixel_bounds(self.polygon, width, height)
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        mask = polygon_mask(self.polygon, y1 - y0, x1 - x0, origin=(x0, y0))
        mask_u8 = mask.astype(np.uint8)
        result = self._model().count(crop, mask, max_side)
        cells = cv2.resize(
            mask_u8,
            (result.density_map.shape[1], result.density_map.shape[0]),
            interpolation=cv2.INTER_NEAREST,
        )
        corrected, n_cells = floor_corrected_count(
            result.density_map, self.rule.cell_floor, cells > 0
        )
        scaled = result.count * self.scale.factor(result.density_map.size)
        return _DensityEstimate(at, result.count, corrected, n_cells, scaled, screen)

    def _follow_tracks(
        self,
        at: datetime,
        track_ids: npt.NDArray[np.int64],
        inside: npt.NDArray[np.bool_],
        ground: npt.NDArray[np.float64] | None,
    ) -> None:
        for row, track_id in enumerate(track_ids.tolist()):
            if track_id < 0:
                continue
            now_inside = bool(inside[row])
            state = self._tracks.get(track_id)
            if state is not None and state.inside != now_inside:
                if now_inside:
                    self._flow_in += 1
                else:
                    self._flow_out += 1
            if state is None:
                # A track first seen inside appeared there (or the tracker just found it):
                # it did not cross the edge, so it is not counted as flowing in.
                state = _TrackState(now_inside, at)
                self._tracks[track_id] = state
            state.inside, state.last_seen = now_inside, at
            if now_inside and ground is not None:
                state.path.append((at, float(ground[row, 0]), float(ground[row, 1])))
        stale = [
            tid
            for tid, s in self._tracks.items()
            if (at - s.last_seen).total_seconds() > TRACK_MEMORY_S
        ]
        for tid in stale:
            del self._tracks[tid]

    def _mean_speed(self) -> tuple[float | None, int]:
        speeds = []
        for state in self._tracks.values():
            if len(state.path) >= 2:
                (t0, x0, y0), (t1, x1, y1) = state.path[0], state.path[-1]
                span = (t1 - t0).total_seconds()
                if span >= MIN_SPEED_SPAN_S:
                    speeds.append(float(np.hypot(x1 - x0, y1 - y0)) / span)
            # Keep the latest point so the next window starts where this one ended.
            del state.path[:-1]
        return (float(np.mean(speeds)) if speeds else None), len(speeds)

    def _reading(
        self, at: datetime, detector_count: int, homography: npt.NDArray[np.float64] | None
    ) -> CrowdReading:
        method: CountMethod = "detector"
        estimate = self._estimate
        if estimate is not None and self.method == "density":
            method = "density"
        elif estimate is not None and self.method == "auto" and not estimate.screen:
            method = self._method_of(estimate, detector_count)
            if estimate.corrected_at_half is None:
                # Fewer boxes now, but the density path was never confirmed at half size.
                method = "detector"
        count = estimate.scaled_count if method == "density" and estimate else float(detector_count)
        area = self.area_m2
        if area is None and homography is not None:
            area = ground_area_m2(self.polygon, homography)
        density = count / area if area else None
        change = self._levels.update(density) if density is not None else None
        speed, speed_tracks = self._mean_speed()
        if homography is None:
            speed, speed_tracks = None, 0
        reading = CrowdReading(
            zone_id=self.zone_id,
            at=at,
            count=round(count, 2),
            method=method,
            detector_count=detector_count,
            density_count=round(estimate.raw_count, 2) if estimate else None,
            area_m2=round(area, 3) if area else None,
            density_per_m2=round(density, 4) if density is not None else None,
            level=self._levels.level,
            level_change=change,
            flow_in=self._flow_in,
            flow_out=self._flow_out,
            mean_speed_m_s=round(speed, 3) if speed is not None else None,
            speed_tracks=speed_tracks,
        )
        self._flow_in = self._flow_out = 0
        return reading
