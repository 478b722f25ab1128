"""One YAML file validated into one frozen pydantic tree; errors name the YAML line.

The tree is split by part of the product; this package re-exports every node so callers
import from `cctwin.config` alone.
"""

from __future__ import annotations

from cctwin.config.analytics import (
    AnalyticsConfig,
    IntrusionConfig,
    LineConfig,
    LoiteringConfig,
    ScheduleConfig,
    Weekday,
    ZoneConfig,
)
from cctwin.config.base import (
    Identifier,
    NormalisedPoint,
    Strict,
    UnitFloat,
)
from cctwin.config.camera import (
    CameraConfig,
    ObjectFilterConfig,
    OnvifConfig,
    PlacementConfig,
    ReconnectConfig,
    SamplingConfig,
    SamplingMode,
    SourceConfig,
)
from cctwin.config.detection import (
    ByteTrackConfig,
    DetectorConfig,
    NanoDetConfig,
    TrackerConfig,
    YoloConfig,
)
from cctwin.config.loader import (
    load_config,
    parse_config,
)
from cctwin.config.privacy import CameraPrivacyConfig, PrivacyConfig
from cctwin.config.safety import (
    CalibrationConfig,
    CrowdConfig,
    FallConfig,
    FireConfig,
    FloodConfig,
    GroundPointConfig,
    ReferenceMarkConfig,
    RiskBandConfig,
)
from cctwin.config.service import (
    AlertRuleConfig,
    AlertsConfig,
    BusConfig,
    Config,
    GeoLayerConfig,
    LocalBusConfig,
    MediaConfig,
    NatsBusConfig,
    PostgresStoreConfig,
    SecurityConfig,
    ServiceConfig,
    SiteConfig,
    SqliteStoreConfig,
    StoreConfig,
)

__all__ = [
    "AlertRuleConfig",
    "AlertsConfig",
    "AnalyticsConfig",
    "BusConfig",
    "ByteTrackConfig",
    "CalibrationConfig",
    "CameraConfig",
    "CameraPrivacyConfig",
    "Config",
    "CrowdConfig",
    "DetectorConfig",
    "FallConfig",
    "FireConfig",
    "FloodConfig",
    "GeoLayerConfig",
    "GroundPointConfig",
    "Identifier",
    "IntrusionConfig",
    "LineConfig",
    "LocalBusConfig",
    "LoiteringConfig",
    "MediaConfig",
    "NanoDetConfig",
    "NatsBusConfig",
    "NormalisedPoint",
    "ObjectFilterConfig",
    "OnvifConfig",
    "PlacementConfig",
    "PostgresStoreConfig",
    "PrivacyConfig",
    "ReconnectConfig",
    "ReferenceMarkConfig",
    "RiskBandConfig",
    "SamplingConfig",
    "SamplingMode",
    "ScheduleConfig",
    "SecurityConfig",
    "ServiceConfig",
    "SiteConfig",
    "SourceConfig",
    "SqliteStoreConfig",
    "StoreConfig",
    "Strict",
    "TrackerConfig",
    "UnitFloat",
    "Weekday",
    "YoloConfig",
    "ZoneConfig",
    "load_config",
    "parse_config",
]
