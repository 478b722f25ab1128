"""What a zone scope covers on each camera: the rules drawn on its zones and their image areas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import Point, Polygon  # type: ignore[import-untyped]

from cctwin.config import CameraConfig
from cctwin.messages import ObjectPositions
from cctwin.security.roles import Principal

ImagePolygon = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class CameraZones:
    """One camera's areas: the zone each rule is drawn on, and each area's image polygon."""

    zone_of_rule: Mapping[str, str]
    polygons: Mapping[str, ImagePolygon]


def camera_zones(camera: CameraConfig) -> CameraZones:
    """Zones and flood ROIs are areas; crowd, loitering and intrusion rules sit on a zone."""
    rules = camera.analytics
    polygons: dict[str, ImagePolygon] = {z.id: tuple(z.polygon) for z in rules.zones}
    polygons.update({roi.id: tuple(roi.roi) for roi in rules.flood})
    zone_of_rule = {r.id: r.zone for r in rules.crowd}
    zone_of_rule.update({r.id: r.zone for r in rules.loitering})
    zone_of_rule.update({r.id: r.zone for r in rules.intrusion})
    return CameraZones(zone_of_rule, polygons)


class ZoneScopes:
    """Whether a caller's zone scope covers a rule's record, a tracked object or a frame area.

    A scope names zone ids (an event's `zone_id`), line or flood ROI ids; a crowd, loitering or
    intrusion rule counts as the zone it is drawn on, so a scope `lawn` sees the crowd readings
    of a crowd rule on `lawn`. A caller without zones sees everything of its cameras.
    """

    def __init__(self, cameras: Sequence[CameraConfig]) -> None:
        self._cameras = {camera.id: camera_zones(camera) for camera in cameras}

    def covers(self, principal: Principal, camera_id: str, rule_id: str | None) -> bool:
        """Whether a record of `rule_id` (a zone, line, ROI or rule id) on the camera is visible."""
        if principal.zones is None:
            return True
        if rule_id is None:
            return False
        if rule_id in principal.zones:
            return True
        camera = self._cameras.get(camera_id)
        zone = None if camera is None else camera.zone_of_rule.get(rule_id)
        return zone is not None and zone in principal.zones

    def region(self, principal: Principal, camera_id: str) -> list[ImagePolygon] | None:
        """The image polygons (normalised) the caller may see of the camera; None = all of it."""
        if principal.zones is None:
            return None
        camera = self._cameras.get(camera_id)
        if camera is None:
            return []
        wanted = set(principal.zones)
        wanted |= {zone for rule, zone in camera.zone_of_rule.items() if rule in principal.zones}
        return [polygon for area, polygon in sorted(camera.polygons.items()) if area in wanted]

    def positions(self, principal: Principal, seen: ObjectPositions) -> ObjectPositions:
        """The tracked objects whose ground anchor lies in one of the caller's zones.

        A zone is drawn on the image and objects count as inside it by their feet, so the
        anchor inside the image polygon is the same test as its ground point inside the
        zone's ground polygon (the calibration's homography maps one onto the other).
        """
        region = self.region(principal, seen.camera_id)
        if region is None:
            return seen
        areas = [Polygon(p) for p in region]
        kept = [o for o in seen.objects if any(a.covers(Point(o.x, o.y)) for a in areas)]
        return seen.model_copy(update={"objects": kept})
