"""Per-camera rules: zones, lines, schedules, loitering and intrusion."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from cctwin.config.base import Identifier, NormalisedPoint, Strict, check_labels
from cctwin.config.safety import CalibrationConfig, CrowdConfig, FallConfig, FireConfig, FloodConfig

# --- analytics -------------------------------------------------------------------------------


class ZoneConfig(Strict):
    """A polygon on the image (normalised points); objects count as inside by their feet."""

    id: Identifier
    name: str = ""
    polygon: list[NormalisedPoint] = Field(min_length=3)
    classes: list[str] = Field(default_factory=lambda: ["person"])

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        check_labels(value)
        return value


class LineConfig(Strict):
    """A directed tripwire from `points[0]` to `points[1]`; crossings are counted per direction."""

    id: Identifier
    name: str = ""
    points: list[NormalisedPoint] = Field(min_length=2, max_length=2)
    classes: list[str] = Field(default_factory=lambda: ["person"])
    in_direction: Literal["left_to_right", "right_to_left"] = Field(
        "left_to_right",
        description="Which crossing counts as `in`, seen walking from points[0] to points[1].",
    )

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        check_labels(value)
        return value


class Weekday(StrEnum):
    """Days of the week for schedules."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class ScheduleConfig(Strict):
    """When a rule is armed, in local time; `start` after `end` spans midnight."""

    days: list[Weekday] = Field(default_factory=lambda: list(Weekday))
    start: time = time(0, 0)
    end: time = time(23, 59, 59, 999999)
    timezone: str = "Asia/Seoul"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value


class LoiteringConfig(Strict):
    """An object staying in a zone longer than `min_dwell_s` (ONVIF LoiteringDetector)."""

    id: Identifier
    zone: Identifier
    min_dwell_s: float = Field(gt=0)
    classes: list[str] = Field(default_factory=lambda: ["person"])


class IntrusionConfig(Strict):
    """An object class inside a restricted zone while the schedule is armed."""

    id: Identifier
    zone: Identifier
    classes: list[str] = Field(default_factory=lambda: ["person"])
    schedule: ScheduleConfig | None = Field(None, description="Empty = always armed.")
    min_dwell_s: float = Field(0.0, ge=0, description="Inside at least this long before alarming.")


class AnalyticsConfig(Strict):
    """The rules evaluated on one camera's tracks."""

    zones: list[ZoneConfig] = Field(default_factory=list)
    lines: list[LineConfig] = Field(default_factory=list)
    loitering: list[LoiteringConfig] = Field(default_factory=list)
    intrusion: list[IntrusionConfig] = Field(default_factory=list)
    exit_after_s: float = Field(
        1.5, gt=0, description="A track unseen this long has left every zone it was in."
    )
    observation_interval_s: float = Field(
        1.0, gt=0, description="Occupancy and counts are reported at least this often."
    )
    calibration: CalibrationConfig | None = Field(
        None, description="Ground plane, for areas (m2), densities and speeds."
    )
    crowd: list[CrowdConfig] = Field(default_factory=list)
    fire: FireConfig | None = None
    flood: list[FloodConfig] = Field(default_factory=list)
    fall: FallConfig | None = None

    def place_names(self) -> dict[str, str]:
        """The names operators gave zones, lines and flood ROIs, by id (unnamed ones left out).

        A crowd rule's readings go by its zone's name.
        """
        named = {zone.id: zone.name for zone in self.zones if zone.name}
        named.update({line.id: line.name for line in self.lines if line.name})
        named.update({roi.id: roi.name for roi in self.flood if roi.name})
        named.update({c.id: named[c.zone] for c in self.crowd if c.zone in named})
        return named

    @model_validator(mode="after")
    def _references_exist(self) -> AnalyticsConfig:
        ids = [z.id for z in self.zones] + [line.id for line in self.lines]
        ids += [r.id for r in self.loitering] + [r.id for r in self.intrusion]
        ids += [c.id for c in self.crowd] + [f.id for f in self.flood]
        ids += [r.id for r in (self.fire, self.fall) if r is not None]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule id {duplicates[0]!r}")
        zone_ids = {z.id for z in self.zones}
        rules: list[LoiteringConfig | IntrusionConfig | CrowdConfig] = [
            *self.loitering,
            *self.intrusion,
        ]
        rules += self.crowd
        for rule in rules:
            if rule.zone not in zone_ids:
                raise ValueError(f"rule {rule.id!r} names unknown zone {rule.zone!r}")
        return self
