"""A stateful auditor per camera: measures against the camera's reference view, with hysteresis.

A fault must hold `raise_after_s` seconds of stream before it is raised and be gone for
`clear_after_s` before it is cleared, so a passing bus in front of the lens or a single
dark frame raises nothing. The reference view (median sharpness, luma and texture, and the
ORB features of the last reference frame) is built from the first `reference_s` seconds.
Time is the stream's, never the wall clock, so a recorded clip always gives the same result.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from cctwin.camerahealth.measures import (
    Grey,
    Measures,
    ViewFeatures,
    features,
    measure,
    orb,
    shift,
    to_grey,
)
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.messages import CameraHealth, HealthCheck, HealthReason

# Ceiling of the `covered` threshold: a reference that is already mostly flat (a wall, the
# sky) still raises when the lens is fully covered.
MAX_FLAT_THRESHOLD = 0.98


@dataclass(frozen=True)
class Reference:
    """The camera's normal view, from the first minutes of its stream."""

    sharpness: float
    contrast: float
    luma: float
    flat: float
    view: ViewFeatures


@dataclass
class _Hold:
    """Hysteresis of one reason: raised state and since when the observation disagrees."""

    raised: bool = False
    since: float | None = None

    def step(self, active: bool | None, at_s: float, raise_s: float, clear_s: float) -> bool:
        """Feed one observation (None: cannot tell, keep the state); True if the state flipped."""
        if active is None or active == self.raised:
            self.since = None
            return False
        if self.since is None:
            self.since = at_s
        if at_s - self.since >= (raise_s if active else clear_s):
            self.raised = active
            self.since = None
            return True
        return False


@dataclass(frozen=True)
class HealthUpdate:
    """The camera's health after one sample, and the reasons raised or cleared by it."""

    health: CameraHealth
    changes: list[HealthCheck]


@dataclass
class _Building:
    samples: list[Measures] = field(default_factory=list)
    greys: list[Grey] = field(default_factory=list)
    started_s: float | None = None


class CameraAuditor:
    """The quality audit of one camera, fed one sampled frame at a time."""

    def __init__(self, config: CameraHealthConfig, reference: Reference | None = None) -> None:
        """`reference`: a stored reference view (else one is built from the first frames)."""
        self.config = config
        self.reference = reference
        measured = [reason for reason in HealthReason if reason is not HealthReason.OFFLINE]
        self.holds: dict[HealthReason, _Hold] = {reason: _Hold() for reason in measured}
        self._building = _Building()
        self._previous: Grey | None = None
        self._last_sample_s: float | None = None
        self._orb = orb()

    def due(self, stream_time_s: float) -> bool:
        """Whether a frame at this stream time should be audited (sample_interval_s apart)."""
        last = self._last_sample_s
        # A stream that starts over (a looped file) goes back in time: sample again.
        return (
            last is None
            or stream_time_s < last
            or (stream_time_s - last >= self.config.sample_interval_s * 0.999)
        )

    def update(
        self,
        image: npt.NDArray[np.uint8],
        stream_time_s: float,
        captured_at: datetime,
        scale: float = 1.0,
        main_stream: bool = True,
    ) -> HealthUpdate:
        """Audit one frame (BGR or grey, analysed size; `scale` back to source pixels).

        A camera analysed on its sub-stream says nothing of its main resolution: its
        megapixels are reported without a verdict (`cameras audit` reads the main stream)."""
        self._last_sample_s = stream_time_s
        grey = to_grey(image, self.config.width)
        measures = measure(grey, self._previous, self._orb)
        self._previous = grey
        if self.reference is not None and self.reference.view.width != grey.shape[1]:
            self.reference = None  # stored for another image size: its features do not apply
        self._learn(grey, measures, stream_time_s)
        megapixels = image.shape[0] * image.shape[1] * scale * scale / 1e6
        checks = self._checks(measures, megapixels, main_stream)
        changes = []
        for reason, hold in self.holds.items():
            mine = [c for c in checks if c.reason is reason]
            judged = [c for c in mine if c.threshold is not None]
            # No check with a threshold (no reference yet, features lost): keep the state.
            active = any(c.raised for c in judged) if judged else None
            raise_s, clear_s = self._hold_times(reason)
            if hold.step(active, stream_time_s, raise_s, clear_s):
                evidence = max(judged, key=lambda c: c.raised)
                changes.append(evidence.model_copy(update={"raised": hold.raised}))
        reasons = [r for r in HealthReason if r in self.holds and self.holds[r].raised]
        health = CameraHealth(
            measured_at=captured_at,
            megapixels=round(megapixels, 3),
            reasons=reasons,
            checks=checks,
            reference_ready=self.reference is not None,
        )
        return HealthUpdate(health, changes)

    def _hold_times(self, reason: HealthReason) -> tuple[float, float]:
        if reason is HealthReason.UNDER_2MP:
            return 0.0, 0.0  # a property of the stream, not a passing state
        if reason is HealthReason.FROZEN:
            return self.config.frozen_after_s, self.config.clear_after_s
        return self.config.raise_after_s, self.config.clear_after_s

    def _learn(self, grey: Grey, measures: Measures, at_s: float) -> None:
        if self.reference is not None:
            return
        building = self._building
        if building.started_s is None or at_s < building.started_s:
            building.started_s = at_s
        building.samples.append(measures)
        building.greys.append(grey)
        if at_s - building.started_s < self.config.reference_s:
            return
        samples = building.samples
        # Features of the median image: the fixed scene without the people and cars passing,
        # so a crowd walking one way is not read as the camera turning the other.
        greys = [g for g in building.greys if g.shape == grey.shape]
        background = np.median(np.stack(greys), axis=0).astype(np.uint8)
        view = features(background, self._orb)
        self.reference = Reference(
            sharpness=statistics.median(m.sharpness for m in samples),
            contrast=statistics.median(m.contrast for m in samples),
            luma=statistics.median(m.luma for m in samples),
            flat=statistics.median(m.flat for m in samples),
            view=view,
        )
        self._building = _Building()

    def _checks(self, m: Measures, megapixels: float, main_stream: bool) -> list[HealthCheck]:
        """Each measure against its threshold (None: it needs the reference view)."""
        limits = self.config.thresholds
        ref = self.reference
        dark, covered = limits.dark_luma, limits.covered_flat
        blurred: float | None = None
        if ref is not None:
            blurred = limits.blur_ratio * ref.sharpness
            dark = max(dark, limits.dark_ratio * ref.luma)
            covered = min(MAX_FLAT_THRESHOLD, max(covered, ref.flat + limits.covered_rise))
        is_blurred = blurred is not None and m.sharpness < blurred
        checks = [
            _check(
                HealthReason.UNDER_2MP,
                "megapixels" if main_stream else "substream_mp",
                megapixels,
                limits.min_megapixels if main_stream else None,
            ),
            _check(HealthReason.BLURRED, "sharpness", m.sharpness, blurred),
            _check(HealthReason.DARK, "mean_luma", m.luma, dark),
            _check(HealthReason.COVERED, "flat_share", m.flat, covered, low=False),
        ]
        if ref is not None:
            # Spray paint or a fogged dome: blurred and the contrast gone (a gain drop keeps
            # its edges; a defocus keeps most of its contrast).
            spray = limits.spray_contrast * ref.contrast
            checks.append(_check(HealthReason.COVERED, "contrast", m.contrast, spray))
            if not is_blurred:
                checks[-1] = checks[-1].model_copy(update={"raised": False})
        if m.change is not None:
            checks.append(_check(HealthReason.FROZEN, "frame_change", m.change, limits.frozen_diff))
        if ref is not None:
            moved = shift(ref.view, m.view, limits.moved_min_inliers)
            # No agreement among features (a covered or dark view) says nothing of a move.
            value, threshold = (
                (0.0, None) if moved is None else (moved.displacement, limits.moved_shift)
            )
            checks.append(_check(HealthReason.MOVED, "displacement", value, threshold, low=False))
        return checks


def _check(
    reason: HealthReason, name: str, value: float, threshold: float | None, low: bool = True
) -> HealthCheck:
    raised = threshold is not None and (value < threshold if low else value > threshold)
    return HealthCheck(reason=reason, measure=name, value=round(value, 4),
                       threshold=None if threshold is None else round(threshold, 4),
                       raised=raised)  # fmt: skip


def offline_health(captured_at: datetime, megapixels: float = 0.0) -> CameraHealth:
    """The health of a camera whose stream cannot be read."""
    return CameraHealth(
        measured_at=captured_at,
        megapixels=megapixels,
        reasons=[HealthReason.OFFLINE],
        checks=[],
        reference_ready=False,
    )
