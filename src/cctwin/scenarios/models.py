"""Scenario files (YAML, `kind: crowd | flood`): models, and loading that names the line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, TypeAdapter, ValidationError, model_validator

from cctwin.config.base import Identifier, Strict
from cctwin.config.loader import compose_yaml, error_lines, line_of
from cctwin.config.safety import RiskBandConfig
from cctwin.errors import CctwinError, ConfigError
from cctwin.scenarios.flood import FloodScenario

LonLat = tuple[float, float]


class ScenarioError(CctwinError):
    """A scenario file that cannot be run: 'FILE:LINE: field: reason' (one line per problem)."""


class PlaceConfig(Strict):
    """A place on the map: a point with a radius, or a polygon (lon, lat)."""

    at: LonLat | None = Field(None, description="(lon, lat) of the centre.")
    radius_m: float = Field(5.0, gt=0, le=200)
    polygon: list[LonLat] | None = Field(None, min_length=3)

    @model_validator(mode="after")
    def _one_shape(self) -> PlaceConfig:
        if (self.at is None) == (self.polygon is None):
            raise ValueError("give `at` (with `radius_m`) or `polygon`, not both or neither")
        return self


class RouteShare(Strict):
    """Which destination a share of a source's people walk to."""

    destination: Identifier
    share: float = Field(1.0, gt=0)


class SourceConfig(PlaceConfig):
    """People appearing at a place: `count` over `over_s` seconds, or `rate_per_min`."""

    id: Identifier
    count: int | None = Field(None, ge=1, le=100_000)
    over_s: float = Field(600.0, gt=0, description="Seconds over which `count` appear.")
    rate_per_min: float | None = Field(None, gt=0)
    start_s: float = Field(0.0, ge=0)
    to: list[RouteShare] = Field(min_length=1)

    @model_validator(mode="after")
    def _count_or_rate(self) -> SourceConfig:
        if (self.count is None) == (self.rate_per_min is None):
            raise ValueError("give `count` (with `over_s`) or `rate_per_min`, not both or neither")
        return self

    @property
    def total(self) -> int:
        """People this source releases (a rate runs for `over_s`)."""
        if self.count is not None:
            return self.count
        assert self.rate_per_min is not None
        return round(self.rate_per_min * self.over_s / 60.0)


class InitialCrowdConfig(PlaceConfig):
    """People already standing at a place when the run starts (a look-ahead's hot spot)."""

    id: Identifier
    persons_per_m2: float = Field(gt=0, le=7.0, description="Above ~7 p/m2 nobody fits.")
    to: list[RouteShare] = Field(min_length=1)
    nearest: bool = Field(
        False, description="Each walks to the nearest of `to` (a crowd dispersing outwards)."
    )


class DestinationConfig(PlaceConfig):
    """Where people leave the simulation (a station gate, a street leaving the area)."""

    id: Identifier
    name: str = ""


class ClosureConfig(PlaceConfig):
    """A closed exit or street: taken out of the walkable area."""

    id: Identifier
    name: str = ""


class ZoneConfig(Strict):
    """A measurement zone: density (persons/m2, Voronoi) over time is reported for it."""

    id: Identifier
    name: str = ""
    polygon: list[LonLat] | None = Field(None, min_length=3)
    at: LonLat | None = None
    radius_m: float = Field(10.0, gt=0, le=200)

    @model_validator(mode="after")
    def _one_shape(self) -> ZoneConfig:
        if (self.at is None) == (self.polygon is None):
            raise ValueError("give `at` (with `radius_m`) or `polygon`, not both or neither")
        return self


class SpeedConfig(Strict):
    """Free walking speeds: a normal distribution, clipped (Weidmann 1993: 1.34 +- 0.26 m/s)."""

    mean_mps: float = Field(1.34, gt=0.1, le=3.0)
    sd_mps: float = Field(0.26, ge=0, le=1.0)
    min_mps: float = Field(0.5, gt=0)
    max_mps: float = Field(2.0, gt=0)
    # 0.5 s, not JuPedSim's 1 s: it fits Weidmann's fundamental diagram (docs/scenarios.md).
    time_gap_s: float = Field(
        0.5, gt=0.1, le=3.0, description="CFSM time gap: how closely people follow."
    )


class RegionConfig(Strict):
    """The part of the district JuPedSim walks: a circle round the hot spot."""

    center: LonLat
    radius_m: float = Field(250.0, gt=10, le=2000)


class CrowdScenario(Strict):
    """`kind: crowd`: sources, destinations, closures, speeds and zones of a crowd what-if."""

    kind: Literal["crowd"]
    name: Identifier
    title: str = ""
    region: RegionConfig | None = Field(None, description="Empty = the whole site model.")
    sources: list[SourceConfig] = Field(default_factory=list)
    initial: list[InitialCrowdConfig] = Field(
        default_factory=list, description="Crowds standing at t=0 (seeded from the twin)."
    )
    destinations: list[DestinationConfig] = Field(min_length=1)
    closures: list[ClosureConfig] = Field(default_factory=list)
    zones: list[ZoneConfig] = Field(
        default_factory=list, description="Also measured: the config's site zones."
    )
    speed: SpeedConfig = Field(default_factory=SpeedConfig)
    model: Literal["collision_free_speed"] = "collision_free_speed"
    step_s: float = Field(
        0.05, gt=0, le=0.1, description="JuPedSim step; 0.05 s keeps the fundamental diagram."
    )
    duration_s: float = Field(900.0, gt=0, le=7200, description="Simulated time at most.")
    sample_s: float = Field(1.0, gt=0, le=60, description="Density and frame sampling period.")
    bands: list[RiskBandConfig] = Field(
        default_factory=list, description="Empty = the config's crowd bands (Seoul guidance)."
    )
    seed: int = 1

    @model_validator(mode="after")
    def _routes_known(self) -> CrowdScenario:
        if not self.sources and not self.initial:
            raise ValueError("a crowd scenario needs `sources` (or an `initial` crowd)")
        known = {d.id for d in self.destinations}
        routed: list[SourceConfig | InitialCrowdConfig] = [*self.sources, *self.initial]
        for source in routed:
            for route in source.to:
                if route.destination not in known:
                    raise ValueError(
                        f"source {source.id!r} walks to unknown destination {route.destination!r}"
                    )
        ids = [s.id for s in routed] + [d.id for d in self.destinations]
        if len(set(ids)) != len(ids):
            raise ValueError("source and destination ids must be distinct")
        return self


Scenario = Annotated[CrowdScenario | FloodScenario, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[CrowdScenario | FloodScenario] = TypeAdapter(Scenario)


def where(path: Path | str, text: str, location: Sequence[int | str]) -> str:
    """'FILE:LINE' of a field of a scenario file (FILE alone when the line is unknown)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    line = line_of(root, location)
    return f"{path}:{line}" if line else str(path)


def parse_scenario(text: str, source_name: str = "<scenario>") -> CrowdScenario | FloodScenario:
    """Validate YAML text into a scenario; ScenarioError names the line and the field."""
    try:
        data, root = compose_yaml(text, source_name)
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source_name}:1: a scenario is a mapping with `kind: crowd|flood`")
    if data.get("kind") not in ("crowd", "flood"):
        at = where(source_name, text, ["kind"])
        raise ScenarioError(f"{at}: kind: must be crowd or flood, not {data.get('kind')!r}")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        lines = error_lines(exc, root, source_name, hidden=("crowd", "flood"))
        raise ScenarioError("\n".join(lines)) from None


def load_scenario(path: Path) -> CrowdScenario | FloodScenario:
    """Read and validate a scenario file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: scenario file not found") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc.strerror}") from None
    return parse_scenario(text, str(path))
