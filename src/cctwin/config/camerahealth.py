"""Camera quality audit: thresholds per fault, hold times and the sampling rate."""

from __future__ import annotations

from pydantic import Field, model_validator

from cctwin.config.base import Strict


class HealthThresholds(Strict):
    """Where each measurement turns into a fault (see docs/camera-health.md for how they were
    chosen: on people-walking, reported on PETS 2009)."""

    min_megapixels: float = Field(2.0, gt=0, description="Below this the camera is `under_2mp`.")
    blur_ratio: float = Field(
        0.35,
        gt=0,
        lt=1,
        description="Blurred when sharpness (variance of the Laplacian) falls below this share "
        "of the camera's reference sharpness.",
    )
    dark_luma: float = Field(
        35.0, ge=0, le=255, description="Too dark when the mean luma is below this grey level."
    )
    dark_ratio: float = Field(
        0.45,
        ge=0,
        lt=1,
        description="... or below this share of the reference mean luma (a gain drop).",
    )
    frozen_diff: float = Field(
        0.15,
        ge=0,
        description="Frozen when consecutive samples differ by less than this mean grey level "
        "(a live static scene still differs by its sensor noise, about 0.5-3).",
    )
    covered_flat: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Covered when this share of the image is flat (16 px blocks without "
        "texture) and its edges are as weak as a blurred view's",
    )
    covered_rise: float = Field(
        0.2, ge=0, le=1, description="... and the flat share rose this much above the reference."
    )
    spray_contrast: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="Covered (sprayed, fogged) when blurred and the contrast fell below this "
        "share of the reference contrast.",
    )
    moved_shift: float = Field(
        0.04,
        gt=0,
        le=1,
        description="Moved when the view is displaced against its reference by more than this "
        "share of the image width (mean displacement of the corners, so rotations count).",
    )
    moved_min_inliers: int = Field(
        12, ge=4, description="Feature matches needed before a displacement is believed."
    )


class CameraHealthConfig(Strict):
    """The quality audit run on every camera's analysed frames (service and `cameras audit`)."""

    enabled: bool = True
    sample_interval_s: float = Field(
        1.0, gt=0, le=60, description="Audit one frame per this many seconds of stream."
    )
    width: int = Field(
        320, ge=64, le=1920, description="Grey image width the measures run on, pixels."
    )
    reference_s: float = Field(
        20.0,
        gt=0,
        description="Seconds of stream that make the reference view (sharpness, luma, "
        "texture, features) when the audit starts.",
    )
    raise_after_s: float = Field(
        3.0, ge=0, description="A fault must hold this long before it is raised."
    )
    clear_after_s: float = Field(
        5.0, ge=0, description="... and be gone this long before it is cleared."
    )
    frozen_after_s: float = Field(
        5.0, ge=0, description="Hold time for `frozen` (a static second is not yet a freeze)."
    )
    thresholds: HealthThresholds = Field(default_factory=HealthThresholds)

    @model_validator(mode="after")
    def _reference_spans_samples(self) -> CameraHealthConfig:
        if self.reference_s < 2 * self.sample_interval_s:
            raise ValueError("camera_health.reference_s must span at least two samples")
        return self
