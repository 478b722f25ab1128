"""Safety analysers of one camera: ground calibration, crowd risk, fire and smoke, flood, falls."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from cctwin.config.base import Identifier, NormalisedPoint, Strict


class GroundPointConfig(Strict):
    """One image point (normalised) and where it lies on the map (WGS84 lon, lat)."""

    image: NormalisedPoint
    lonlat: tuple[float, float]


class CalibrationConfig(Strict):
    """The camera's ground plane: four or more point pairs, or a Tsai calibration file.

    Zone areas in square metres and speeds in metres per second come from it; without it a
    crowd count is reported but never a density.
    """

    points: list[GroundPointConfig] = Field(
        default_factory=list, description="Image <-> map pairs; at least four, not collinear."
    )
    tsai_xml: Path | None = Field(None, description="Tsai camera calibration XML (PETS style).")

    @model_validator(mode="after")
    def _one_source(self) -> CalibrationConfig:
        if self.tsai_xml is None and len(self.points) < 4:
            raise ValueError("calibration needs at least 4 `points` or a `tsai_xml` file")
        if self.tsai_xml is not None and self.points:
            raise ValueError("give calibration `points` or `tsai_xml`, not both")
        return self


class RiskBandConfig(Strict):
    """A crowd risk level entered at a density (persons per square metre)."""

    name: Identifier
    name_ko: str = ""
    persons_per_m2: float = Field(gt=0)


def _seoul_bands() -> list[RiskBandConfig]:
    # Seoul crowd-safety guidance: 3 caution (주의), 4 alert (경계), 5 severe (심각).
    return [
        RiskBandConfig(name="caution", name_ko="주의", persons_per_m2=3.0),
        RiskBandConfig(name="alert", name_ko="경계", persons_per_m2=4.0),
        RiskBandConfig(name="severe", name_ko="심각", persons_per_m2=5.0),
    ]


class CrowdConfig(Strict):
    """Crowd count, density and risk level of one zone (`crowd.density`, `crowdRisk`)."""

    id: Identifier
    zone: Identifier
    method: Literal["auto", "detector", "density"] = Field(
        "auto",
        description="`auto` counts tracked people while they are separable and switches to the "
        "density model when they are not.",
    )
    bands: list[RiskBandConfig] = Field(default_factory=_seoul_bands, min_length=1)
    hysteresis: float = Field(
        0.5, ge=0, description="Persons/m2 below a band's entry before the level steps down."
    )
    density_interval_s: float = Field(
        5.0, gt=0, description="Run the density model at most this often (it is slow)."
    )
    observation_interval_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _distinct_bands(self) -> CrowdConfig:
        names = [b.name for b in self.bands]
        if len(set(names)) != len(names):
            raise ValueError("band names must be distinct")
        return self


class FireConfig(Strict):
    """Flames (`buildingFire`) and smoke (`smoke`), confirmed over several scored frames."""

    id: Identifier = "fire"
    interval_s: float = Field(1.0, gt=0, description="Score a frame at most this often.")
    confirm_k: int = Field(3, ge=1, description="Scored frames above threshold ...")
    confirm_n: int = Field(5, ge=1, description="... out of the last this many.")
    smoke: bool = Field(True, description="Also report smoke (unvalidated: no labelled data).")

    @model_validator(mode="after")
    def _k_of_n(self) -> FireConfig:
        if self.confirm_k > self.confirm_n:
            raise ValueError("confirm_k cannot exceed confirm_n")
        return self


class ReferenceMarkConfig(Strict):
    """A painted or known mark: at image height `y` (normalised) the water is `level_cm` deep."""

    y: float = Field(ge=0, le=1)
    level_cm: float


class FloodConfig(Strict):
    """Water inside a road or underpass ROI (`FloodMonitoring` observations, `flood` events)."""

    id: Identifier
    name: str = Field("", description="What operators call the place, for titles and labels.")
    roi: list[NormalisedPoint] = Field(min_length=3)
    reference_marks: list[ReferenceMarkConfig] = Field(
        default_factory=list, description="Two or more marks turn the water line into cm."
    )
    alert_level_cm: float | None = None
    danger_level_cm: float | None = None
    alert_fraction: float = Field(
        0.3, ge=0, le=1, description="Without marks: covered fraction of the ROI for `alert`."
    )
    danger_fraction: float = Field(0.6, ge=0, le=1)
    # Water rises over minutes, and one segmentation (VGG-16 front end, both mirror images)
    # costs about a second of one core: every 30 s keeps it under 10 ms per analysed frame.
    interval_s: float = Field(30.0, gt=0, description="Segment a frame at most this often.")

    @model_validator(mode="after")
    def _marks(self) -> FloodConfig:
        if len(self.reference_marks) == 1:
            raise ValueError("reference_marks needs two or more marks (or none)")
        if self.alert_fraction > self.danger_fraction:
            raise ValueError("alert_fraction cannot exceed danger_fraction")
        return self


class FallConfig(Strict):
    """A tracked person who goes down and stays down (`fallenPerson`, KISA 쓰러짐 / 낙상)."""

    id: Identifier = "fall"
    min_down_s: float = Field(3.0, gt=0, description="Down at least this long before alarming.")
    pose: bool = Field(True, description="Use the bundled MoveNet pose model; else box shape.")
    # A fall needs `min_down_s` (3 s) down, so one pose a second still sees it three times;
    # at 0.5 s pose cost about 23 ms per analysed frame on PETS at 5 fps, at 1 s about half.
    pose_interval_s: float = Field(
        1.0, gt=0, description="Run pose on a person at most this often."
    )
