"""The on-demand audit: open every configured camera, read S seconds, one row per camera.

Cameras are read in parallel threads. Relative checks (blur, spray, moved) are judged
against the camera's stored reference view (kept by the service, or by `--save-reference`
after maintenance); without one, the first half of the run is the reference and they say
only whether the picture changed during the run, while the absolute ones (resolution,
darkness, frozen, flat image) say what is wrong now. An unreachable camera is a row with
`offline` and the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cctwin.camerahealth.audit import CameraAuditor, offline_health
from cctwin.camerahealth.reference import load_reference, reference_path, save_reference
from cctwin.config import CameraConfig, SamplingConfig, SamplingMode
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.ingest.source import VideoSource
from cctwin.messages import CameraHealth, HealthReason

NOT_PLACED = "not placed"
# Opening a stream may take its own open timeout; then S seconds of reading.
GRACE_S = 5.0
Opener = Callable[[CameraConfig, SamplingConfig], VideoSource]


class SurveyRow(BaseModel):
    """One camera in `cctwin cameras audit`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    camera_id: str
    name: str
    placement: str
    megapixels: float
    reasons: list[HealthReason]
    frames: int
    error: str
    reference: str
    health: CameraHealth


def survey_config(config: CameraHealthConfig, seconds: float) -> CameraHealthConfig:
    """The audit's config for a run of `seconds`: reference from the first half, hold times
    short enough to decide within the run."""
    interval = min(config.sample_interval_s, seconds / 6)
    return config.model_copy(
        update={
            "sample_interval_s": interval,
            "reference_s": max(2 * interval, seconds / 2),
            "raise_after_s": min(config.raise_after_s, seconds / 4),
            "frozen_after_s": min(config.frozen_after_s, seconds / 3),
        }
    )


def _placement(camera: CameraConfig) -> str:
    place = camera.placement
    return NOT_PLACED if place is None else f"{place.lat:.5f}, {place.lon:.5f}"


@dataclass(frozen=True)
class References:
    """Where reference views are kept, and whether this run makes new ones (after
    maintenance) instead of judging against the stored ones."""

    media: Path
    renew: bool = False


def audit_camera(
    camera: CameraConfig,
    config: CameraHealthConfig,
    seconds: float,
    opener: Opener,
    references: References | None = None,
) -> SurveyRow:
    """Read `seconds` of stream from one camera and audit it; never raises."""
    tuned = survey_config(config, seconds)
    path = None if references is None else reference_path(references.media, camera.id)
    renew = references is not None and references.renew
    stored = None if path is None or renew else load_reference(path)
    auditor = CameraAuditor(tuned, stored)
    health, frames, error = _read(camera, auditor, seconds, opener)
    reference = "stored" if stored is not None and auditor.reference is stored else "this run"
    if renew and path is not None and not error and auditor.reference is not None:
        save_reference(auditor.reference, path)
        reference = "saved"
    if health is None:
        error = error or "no frames"
        health = offline_health(datetime.now(UTC))
    reasons = list(health.reasons)
    if error and HealthReason.OFFLINE not in reasons:
        reasons.insert(0, HealthReason.OFFLINE)
    return SurveyRow(camera_id=camera.id, name=camera.name, placement=_placement(camera),
                     megapixels=health.megapixels, reasons=reasons, frames=frames,
                     error=error, reference=reference, health=health)  # fmt: skip


def _read(
    camera: CameraConfig, auditor: CameraAuditor, seconds: float, opener: Opener
) -> tuple[CameraHealth | None, int, str]:
    """The last health, frames read and the error (if any) of `seconds` of stream."""
    sampling = SamplingConfig(mode=SamplingMode.FPS, fps=1.0 / auditor.config.sample_interval_s)
    health: CameraHealth | None = None
    frames, error = 0, ""
    deadline = time.monotonic() + seconds + camera.source.open_timeout_s + GRACE_S
    source: VideoSource | None = None
    try:
        source = opener(camera, sampling)
        first: float | None = None
        for frame in source.frames():
            first = frame.stream_time_s if first is None else first
            health = auditor.update(
                frame.image, frame.stream_time_s, frame.captured_at, frame.scale
            ).health
            frames += 1
            if frame.stream_time_s - first >= seconds or time.monotonic() > deadline:
                break
    except Exception as exc:  # any failure of a camera is its row's `offline`, not a crash
        error = str(exc) or type(exc).__name__
    finally:
        if source is not None:
            source.close()
    return health, frames, error


def survey(
    cameras: list[CameraConfig],
    config: CameraHealthConfig,
    seconds: float,
    opener: Opener,
    references: References | None = None,
    done: Callable[[SurveyRow], None] = lambda row: None,
) -> list[SurveyRow]:
    """Every camera audited in parallel; rows in the config's order."""
    if not cameras:
        return []

    def one(camera: CameraConfig) -> SurveyRow:
        row = audit_camera(camera, config, seconds, opener, references)
        done(row)
        return row

    with ThreadPoolExecutor(max_workers=min(8, len(cameras))) as pool:
        return list(pool.map(one, cameras))
