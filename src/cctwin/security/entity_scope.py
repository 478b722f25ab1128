"""Whether an NGSI-LD entity of the twin lies inside a caller's camera and zone scope."""

from __future__ import annotations

from collections.abc import Mapping

from cctwin.security.roles import Principal
from cctwin.security.zone_scope import ZoneScopes

# cctwin's own entities name their camera in the id: urn:ngsi-ld:Camera:<camera>, and a
# zone's readings urn:ngsi-ld:CrowdFlowObserved:<camera>:<zone>.
_CAMERA_TYPES = frozenset({"Camera", "Device", "PrivacyObject"})
_ZONE_TYPES = frozenset({"CrowdFlowObserved", "FloodMonitoring"})
# Other entities point at their camera (an Alert's source, a reading's device).
_CAMERA_LINKS = ("alertSource", "refDevice")
_SIMULATED = (
    "sim"  # what-if and look-ahead entities: `sim:<run>:<zone>`, `sim:lookahead:<cam>:<zone>`
)


class EntityScope:
    """The entity-level face of a caller's scope, for answers of the NGSI-LD API."""

    def __init__(self, zones: ZoneScopes) -> None:
        self._zones = zones

    def visible(self, principal: Principal, entity: Mapping[str, object]) -> bool:
        """District-wide entities (buildings, other systems' sensors, simulations of no
        camera) are visible to every reader; a camera's entities only within its scope, and
        to a zone-scoped caller a zone's readings and alerts only of its zones (an entity
        that names no zone only to an unzoned caller)."""
        if principal.cameras is None and principal.zones is None:
            return True
        entity_id = entity.get("id")
        parts = entity_id.split(":") if isinstance(entity_id, str) else []
        kind = parts[2] if len(parts) > 3 and parts[:2] == ["urn", "ngsi-ld"] else ""
        if kind in _ZONE_TYPES:
            if parts[3] == _SIMULATED:
                if len(parts) < 7 or parts[4] != "lookahead":
                    return True
                camera_id, rule_id = parts[5], ":".join(parts[6:])
            else:
                camera_id, rule_id = parts[3], ":".join(parts[4:])
            return principal.sees(camera_id) and self._zones.covers(principal, camera_id, rule_id)
        if kind in _CAMERA_TYPES:
            camera_id = ":".join(parts[3:])
            # A zone-scoped caller knows only the cameras one of its zones is drawn on.
            return principal.sees(camera_id) and self._zones.region(principal, camera_id) != []
        linked = _linked_camera(entity)
        if linked is None:
            return True
        if principal.zones is None:
            return principal.sees(linked)
        zone = _member(entity, "zone")
        return (
            principal.sees(linked)
            and isinstance(zone, str)
            and self._zones.covers(principal, linked, zone)
        )


def _member(entity: Mapping[str, object], short: str) -> object:
    """A property's value by its short name, compacted or expanded, in any representation."""
    for name, value in entity.items():
        if name != short and not name.endswith("/" + short):
            continue
        if isinstance(value, list) and value:
            value = value[0]  # temporal: the attribute's instances
        return value.get("value") if isinstance(value, Mapping) else value
    return None


def _linked_camera(entity: Mapping[str, object]) -> str | None:
    """The camera an entity's alertSource or refDevice points at, in any representation
    (normalized, keyValues, concise, temporal) and whether the names came back compacted or not."""
    for name, value in entity.items():
        if not name.endswith(_CAMERA_LINKS):
            continue
        if isinstance(value, list) and value:
            value = value[0]  # temporal: the attribute's instances
        target = value.get("object") if isinstance(value, Mapping) else value
        if isinstance(target, str):
            parts = target.split(":")
            if len(parts) > 3 and parts[2] in ("Camera", "Device"):
                return ":".join(parts[3:])
    return None
