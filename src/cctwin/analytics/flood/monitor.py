"""Per-camera flood monitor: ROI water coverage, level from reference marks, hysteresis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from cctwin.analytics.flood.background import DryBackground
from cctwin.geometry import polygon_mask, to_pixels

Status = Literal["normal", "alert", "danger"]
Segmenter = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]]
_RANK: dict[Status, int] = {"normal": 0, "alert": 1, "danger": 2}


@dataclass(frozen=True)
class FloodReading:
    """One observation of water inside the ROI."""

    at: datetime
    covered_fraction: float
    current_level_cm: float | None
    status: Status
    alert_level_cm: float | None
    danger_level_cm: float | None
    # Mean 0..1 departure from the learned dry background inside the ROI; None until learned.
    background_change: float | None = None


class FloodMonitor:
    """Turns water masks from one camera into readings with a debounced status."""

    def __init__(
        self,
        segment: Segmenter,
        roi: Sequence[tuple[float, float]],
        reference_marks: Sequence[tuple[float, float]] = (),
        alert_level_cm: float | None = None,
        danger_level_cm: float | None = None,
        alert_fraction: float = 0.3,
        danger_fraction: float = 0.6,
        hysteresis_cm: float = 5.0,
        hysteresis_fraction: float = 0.05,
        background: DryBackground | None = None,
        change_veto: float = 0.15,
    ) -> None:
        """`background`: a learned dry background (None = segmenter only). Segmenter water
        where the frame departs from it by less than `change_veto` is treated as the dry look of
        the scene (wet-looking asphalt, mud, puddles that were always there) and dropped."""
        if len(roi) < 3:
            raise ValueError("roi needs at least 3 points")
        if len(reference_marks) == 1:
            raise ValueError("reference_marks needs at least 2 marks to interpolate")
        self._segment = segment
        self._roi = [(float(x), float(y)) for x, y in roi]
        # Sorted by image y so np.interp sees increasing x.
        self._marks = sorted((float(y), float(cm)) for y, cm in reference_marks)
        self.alert_level_cm = alert_level_cm
        self.danger_level_cm = danger_level_cm
        self.alert_fraction = alert_fraction
        self.danger_fraction = danger_fraction
        self.hysteresis_cm = hysteresis_cm
        self.hysteresis_fraction = hysteresis_fraction
        self.background = background
        self.change_veto = change_veto
        self.status: Status = "normal"

    def roi_mask(self, height: int, width: int) -> npt.NDArray[np.bool_]:
        """The ROI polygon rasterised at an image size."""
        return polygon_mask(to_pixels(self._roi, width, height), height, width)

    def level_from_mask(
        self, water: npt.NDArray[np.bool_], roi: npt.NDArray[np.bool_]
    ) -> float | None:
        """Level in cm from the highest water row inside the ROI, or None without marks."""
        if not self._marks:
            return None
        rows = np.flatnonzero((water & roi).any(axis=1))
        if rows.size == 0:
            return None
        y = (float(rows[0]) + 0.5) / water.shape[0]
        ys = [m[0] for m in self._marks]
        cms = [m[1] for m in self._marks]
        # Linear extrapolation beyond the outermost marks: clamping would hide a rising flood.
        if y < ys[0] or y > ys[-1]:
            i, j = (0, 1) if y < ys[0] else (-2, -1)
            slope = (cms[j] - cms[i]) / (ys[j] - ys[i]) if ys[j] != ys[i] else 0.0
            return float(cms[i] + slope * (y - ys[i]))
        return float(np.interp(y, ys, cms))

    def _raw_status(self, fraction: float, level: float | None, margin: float) -> Status:
        """Status for given values, thresholds lowered by `margin` (0..1 of the hysteresis band)."""
        if level is not None and (
            self.alert_level_cm is not None or self.danger_level_cm is not None
        ):
            d = self.hysteresis_cm * margin
            if self.danger_level_cm is not None and level >= self.danger_level_cm - d:
                return "danger"
            if self.alert_level_cm is not None and level >= self.alert_level_cm - d:
                return "alert"
            return "normal"
        d = self.hysteresis_fraction * margin
        if fraction >= self.danger_fraction - d:
            return "danger"
        if fraction >= self.alert_fraction - d:
            return "alert"
        return "normal"

    def _next_status(self, fraction: float, level: float | None) -> Status:
        up = self._raw_status(fraction, level, 0.0)
        if _RANK[up] >= _RANK[self.status]:
            return up
        # Falling: stay until the value is below the current band by the hysteresis margin.
        held = self._raw_status(fraction, level, 1.0)
        return held if _RANK[held] <= _RANK[self.status] else self.status

    def update_mask(
        self,
        water: npt.NDArray[Any],
        at: datetime,
        change: npt.NDArray[np.float32] | None = None,
    ) -> FloodReading:
        """Reading from a precomputed water mask (non-zero = water) and optional change map."""
        wet = np.asarray(water) > 0
        roi = self.roi_mask(*wet.shape[:2])
        area = int(roi.sum())
        mean_change: float | None = None
        if change is not None and change.shape == wet.shape:
            wet = wet & (change >= self.change_veto)
            mean_change = float(change[roi].mean()) if area else 0.0
        fraction = float((wet & roi).sum()) / area if area else 0.0
        level = self.level_from_mask(wet, roi)
        self.status = self._next_status(fraction, level)
        return FloodReading(
            at,
            fraction,
            level,
            self.status,
            self.alert_level_cm,
            self.danger_level_cm,
            mean_change,
        )

    def update(self, image_bgr: npt.NDArray[np.uint8], at: datetime) -> FloodReading:
        """Segment a frame, check it against the dry background, return the reading."""
        change = self.background.change(image_bgr) if self.background is not None else None
        reading = self.update_mask(self._segment(image_bgr), at, change)
        self.observe(image_bgr)
        return reading

    def observe(self, image_bgr: npt.NDArray[np.uint8]) -> None:
        """Offer a frame to the dry background (cheap; call between segmentations too).

        Learn only while dry: a flooded frame must never become the reference. Until the
        background is ready every frame is taken (the ROI is drawn on a dry scene), or a
        segmenter false alarm at start-up would keep the status up and block learning.
        """
        if self.background is not None and (self.status == "normal" or not self.background.ready):
            self.background.offer(image_bgr)


def to_flood_monitoring(reading: FloodReading, entity_id: str) -> dict[str, Any]:
    """Smart Data Models FloodMonitoring entity (levels in metres, as the model uses)."""
    entity: dict[str, Any] = {
        "id": entity_id,
        "type": "FloodMonitoring",
        "dateObserved": reading.at.isoformat(),
        "floodLevelStatus": reading.status,
        "coveredFraction": round(reading.covered_fraction, 4),
    }
    if reading.current_level_cm is not None:
        entity["currentLevel"] = reading.current_level_cm / 100.0
    if reading.alert_level_cm is not None:
        entity["alertLevel"] = reading.alert_level_cm / 100.0
    if reading.danger_level_cm is not None:
        entity["dangerLevel"] = reading.danger_level_cm / 100.0
    return entity
