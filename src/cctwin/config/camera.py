"""One camera: its source, sampling, object filters, analytics and place on the map."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from cctwin.config.analytics import AnalyticsConfig
from cctwin.config.base import Identifier, Strict, check_labels
from cctwin.config.privacy import CameraPrivacyConfig

# --- ingest ----------------------------------------------------------------------------------


class OnvifConfig(Strict):
    """An ONVIF device whose media service tells us the main and sub-stream RTSP URLs."""

    host: str
    port: int = Field(80, ge=1, le=65535)
    username: str = ""
    password: str = ""


class ReconnectConfig(Strict):
    """Exponential backoff between attempts to reopen a live stream."""

    initial_s: float = Field(0.5, gt=0)
    max_s: float = Field(30.0, gt=0)
    factor: float = Field(2.0, ge=1.0)
    max_attempts: int = Field(0, ge=0, description="0 = retry forever.")


class SourceConfig(Strict):
    """Where the video comes from: a file, an RTSP URL, or an ONVIF device."""

    url: str | None = Field(None, description="File path or rtsp:// URL of the main stream.")
    substream_url: str | None = Field(
        None, description="RTSP URL of the low-resolution sub-stream."
    )
    onvif: OnvifConfig | None = None
    rtsp_transport: Literal["tcp", "udp"] = "tcp"
    open_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(10.0, gt=0)
    decode_threads: int = Field(1, ge=0, le=16, description="Decoder threads; 1 scales best.")
    skip_loop_filter: bool = Field(
        False,
        description="With keyframes sampling, decode without the H.264/HEVC deblocking "
        "filter: about 7 % less decode CPU, pixels within a grey level of the filtered ones.",
    )
    analysis_width: int = Field(
        0, ge=0, le=7680, description="Resize analysed frames to this width; 0 = keep source size."
    )
    loop: bool = Field(False, description="Restart a file at its end (demos, benchmarks).")
    pace: bool = Field(
        False,
        description="Play a file at its own frame rate with wall-clock frame times, like a "
        "live camera (demos); otherwise files are read as fast as they decode.",
    )
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig)

    @model_validator(mode="after")
    def _needs_a_location(self) -> SourceConfig:
        if self.url is None and self.onvif is None:
            raise ValueError("a source needs `url` or `onvif`")
        return self


class SamplingMode(StrEnum):
    """Which decoded frames are analysed."""

    ALL = "all"
    EVERY = "every"
    FPS = "fps"
    KEYFRAMES = "keyframes"


class MotionConfig(Strict):
    """Skip detection on frames where nothing moved since the detector last ran (Frigate's
    motion gate); the last boxes are tracked again, so tracks stay alive."""

    enabled: bool = Field(
        True,
        description="Gate the detector on motion; on PETS 2009 (and with still stretches) "
        "the events are the same as without.",
    )
    width: int = Field(160, ge=16, le=1920, description="Width of the grey image compared, pixels.")
    threshold: int = Field(
        20, ge=1, le=255, description="A pixel changed when it differs by more grey levels."
    )
    min_changed_px: int = Field(
        6, ge=1, description="Changed pixels (of the small image) that count as motion."
    )
    max_still_s: float = Field(
        10.0, gt=0, description="Run the detector at least this often, seconds of stream."
    )


class SamplingConfig(Strict):
    """Decode only what is needed: every n-th frame, at most N fps, or keyframes only."""

    mode: SamplingMode = SamplingMode.ALL
    every: int = Field(1, ge=1, description="With mode `every`: analyse frames 1, 1+n, 1+2n ...")
    fps: float = Field(
        1.0, gt=0, description="With mode `fps`: analyse at most this many per second."
    )
    stream: Literal["main", "sub"] = Field(
        "main", description="`sub` reads the camera's sub-stream."
    )
    motion: MotionConfig = Field(default_factory=MotionConfig)


class ObjectFilterConfig(Strict):
    """Plausible boxes for one class on one camera, in source pixels (Frigate's object filters).

    A camera sees a person at a known range of sizes; boxes far outside it are clutter.
    """

    min_area_px: int = Field(0, ge=0, description="Smallest box area, source pixels squared.")
    max_area_px: int | None = Field(None, ge=1, description="Largest box area; empty = no limit.")
    min_ratio: float = Field(0.0, ge=0, description="Smallest width / height.")
    max_ratio: float | None = Field(None, gt=0, description="Largest width / height.")


class PlacementConfig(Strict):
    """Where a camera stands on the map and where it looks (for the twin and the map)."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    heading_deg: float = Field(0.0, ge=0, lt=360, description="0 = north, clockwise.")
    fov_deg: float = Field(60.0, gt=0, le=360, description="Horizontal field of view.")
    range_m: float = Field(40.0, gt=0, description="How far it usefully sees.")
    height_m: float = Field(6.0, gt=0, description="Lens height above the ground.")
    tilt_deg: float = Field(
        30.0, gt=0, le=90, description="Downward tilt of the optical axis (90 = straight down)."
    )
    resolution: tuple[int, int] = Field(
        (1920, 1080), description="Image width and height in pixels (gives the vertical FOV)."
    )


class CameraConfig(Strict):
    """One camera: where its video comes from, how it is sampled and what is analysed."""

    id: Identifier
    name: str = ""
    enabled: bool = True
    source: SourceConfig
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    filters: dict[str, ObjectFilterConfig] = Field(
        default_factory=dict, description="Per-class box filters applied before tracking."
    )
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    placement: PlacementConfig | None = None
    privacy: CameraPrivacyConfig = Field(default_factory=CameraPrivacyConfig)

    @field_validator("filters")
    @classmethod
    def _known_filter_classes(
        cls, value: dict[str, ObjectFilterConfig]
    ) -> dict[str, ObjectFilterConfig]:
        check_labels(list(value))
        return value
