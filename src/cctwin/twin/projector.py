"""The twin projector: a bus subscriber that keeps cctwin's own NGSI-LD entities live.

Facts become Smart Data Models entities, upserted in one batch per fetched batch of facts
(the newest value of each attribute wins within a batch, so a burst of observations is one
write per zone, not one per fact):

    site model (at start) -> Building (footprint polygon, height, floorsAboveGround)
    CameraStatus          -> Camera (+ location, fieldOfView, resolutionMP, cameraHealth),
                             Device (deviceState, health)
    Observation crowd.*   -> CrowdFlowObserved per zone (peopleCount, density, riskLevel...);
                             with a site model, density = people / visibleWalkableArea (m2
                             of the zone inside the camera's occluded footprint, no buildings)
    Observation flood.*   -> FloodMonitoring per ROI (currentLevel, floodLevelStatus...)
    Event crowdRisk/flood -> the zone's riskLevel / floodLevelStatus
    AlertChanged          -> Alert (category, subCategory, severity, status)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import PREFIX
from cctwin.config import Config
from cctwin.messages import (
    AlertChanged,
    BusMessage,
    CameraState,
    CameraStatus,
    Event,
    EventKind,
    HealthReason,
    Observation,
    ObservationKind,
)
from cctwin.ngsi.broker import Broker
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import iso
from cctwin.twin.district import build_district_map
from cctwin.twin.site_entities import building_bodies, visible_walkable_areas

log = logging.getLogger(__name__)

SUBJECTS = tuple(f"{PREFIX}.{fact}.>" for fact in ("events", "observations", "status", "alerts"))
BATCH = 1000
PUBLISH_INTERVAL_S = 1.0
Body = dict[str, Any]

_CROWD = {
    ObservationKind.CROWD_COUNT: "peopleCount",
    ObservationKind.OCCUPANCY: "peopleCount",
    ObservationKind.CROWD_DENSITY: "density",
    ObservationKind.CROWD_SPEED: "averageCrowdSpeed",
}
_FLOOD = {ObservationKind.FLOOD_LEVEL: "currentLevel", ObservationKind.FLOOD_COVERAGE: "coverage"}
# Measures that arrive at the analysed frame rate; states (riskLevel...) always go through.
_MEASURES = frozenset({*_CROWD.values(), *_FLOOD.values()})
_UNITS = {"density": "28", "averageCrowdSpeed": "KMH", "currentLevel": "CMT", "coverage": "P1"}
# Crowd bands that mean "not congested" (config/safety bands name the others).
_CALM = frozenset({"", "normal", "none", "low", "safe"})
_ALERT_CATEGORY = {
    EventKind.CROWD_RISK: "security",
    EventKind.FLOOD: "weather",
    EventKind.BUILDING_FIRE: "fire",
    EventKind.SMOKE: "fire",
    EventKind.FALLEN_PERSON: "health",
}


def crowd_id(camera_id: str, zone_id: str) -> str:
    return f"urn:ngsi-ld:CrowdFlowObserved:{camera_id}:{zone_id}"


def flood_id(camera_id: str, zone_id: str) -> str:
    return f"urn:ngsi-ld:FloodMonitoring:{camera_id}:{zone_id}"


def _prop(value: Any, at: datetime, unit: str | None = None) -> Body:
    out: Body = {"type": "Property", "value": value, "observedAt": iso(at)}
    if unit:
        out["unitCode"] = unit
    return out


class TwinProjector:
    """Subscriber with one job: facts on the bus -> cctwin's entities in the broker."""

    def __init__(self, broker: Broker, bus: Bus, config: Config, terms: TermMap) -> None:
        self.broker = broker
        self.terms = terms  # the core @context: bodies use Smart Data Models' short names
        self.bus = bus
        self.config = config
        self.cameras = {c.id: c for c in config.cameras}
        self.projected = 0
        # (camera, zone) -> visible walkable m2, known once the site model is loaded.
        self.walkable: dict[tuple[str, str], float] = {}
        self._published: dict[tuple[str, str], float] = {}

    async def run(self, stopping: asyncio.Event) -> None:
        try:
            await asyncio.to_thread(self.load_site)
        except Exception:
            # Without the site model the twin still runs: densities as analytics measured them.
            log.exception("twin could not load the site model; no Building entities")
        subscription = self.bus.subscribe("twin", SUBJECTS, durable=True)
        try:
            while not stopping.is_set():
                batch = await subscription.fetch(BATCH, 0.5)
                if not batch:
                    continue
                bodies = self.project([d.message for d in batch])
                try:
                    await asyncio.to_thread(self.broker.batch, "upsert", bodies, self.terms)
                except Exception:
                    # Not acknowledged: the facts come again and the upsert is repeated.
                    log.exception("twin could not upsert %d entities", len(bodies))
                    continue
                self.projected += len(bodies)
                for delivery in batch:
                    await delivery.ack()
        finally:
            await subscription.close()

    def load_site(self) -> int:
        """Walkable areas of the camera zones, and the Building entities the broker lacks
        (one batch; buildings already there are left alone). How many were created."""
        site = self.config.site
        if site.osm is None and not any(layer.kind for layer in site.layers):
            return 0
        district = build_district_map(self.config)
        zones = {
            c.id: [(z.id, z.polygon) for z in c.analytics.zones] for c in self.cameras.values()
        }
        self.walkable = visible_walkable_areas(district, zones)
        bodies = building_bodies(district)
        known = self.broker.repository.get_entities([b["id"] for b in bodies])
        missing = [b for b in bodies if b["id"] not in known]
        if missing:
            self.broker.batch("upsert", missing, self.terms)
        return len(missing)

    def project(self, messages: Sequence[BusMessage]) -> list[Body]:
        """Entity bodies (core @context) for a batch of facts, merged per entity; measures
        more frequent than PUBLISH_INTERVAL_S per attribute are left out (about 1 Hz)."""
        merged: dict[str, Body] = {}
        for message in messages:
            for body in self._bodies(message):
                merged.setdefault(body["id"], {}).update(body)
        out = []
        for body in merged.values():
            if body.get("type") == "CrowdFlowObserved":
                self._walkable_density(body)
            for name in _MEASURES & body.keys():
                if not self._due(body["id"], name, body[name]["observedAt"]):
                    del body[name]
            if body.keys() - {"id", "type", "refDevice"}:
                out.append(body)
        return out

    def _walkable_density(self, body: Body) -> None:
        """Density as people over the zone's visible walkable area, when the site knows it."""
        parts = body["id"].split(":", 4)  # urn:ngsi-ld:CrowdFlowObserved:camera:zone
        area = self.walkable.get((parts[3], parts[4])) if len(parts) == 5 else None
        if area is None:
            return
        count = body.get("peopleCount")
        if count is None:
            body.pop("density", None)  # a calibrated-area density would contradict ours
            return
        at = count["observedAt"]
        body["density"] = {
            "type": "Property",
            "value": round(count["value"] / area, 4),
            "observedAt": at,
            "unitCode": _UNITS["density"],
        }
        body["visibleWalkableArea"] = {
            "type": "Property",
            "value": round(area, 1),
            "observedAt": at,
            "unitCode": "MTK",
        }

    def _due(self, entity_id: str, name: str, observed_at: str) -> bool:
        # The twin publishes zone aggregates at about 1 Hz, not at the analysed frame rate.
        at = datetime.fromisoformat(observed_at.replace("Z", "+00:00")).timestamp()
        last = self._published.get((entity_id, name))
        if last is not None and 0 <= at - last < PUBLISH_INTERVAL_S:
            return False
        self._published[(entity_id, name)] = at
        return True

    def _bodies(self, message: BusMessage) -> list[Body]:
        if isinstance(message, Observation):
            return _observation(message)
        if isinstance(message, CameraStatus):
            return self._camera(message)
        if isinstance(message, Event):
            return _event(message)
        if isinstance(message, AlertChanged):
            return [_alert(message)]
        return []

    def _camera(self, status: CameraStatus) -> list[Body]:
        at = status.reported_at
        device = f"urn:ngsi-ld:Device:{status.camera_id}"
        camera: Body = {
            "id": f"urn:ngsi-ld:Camera:{status.camera_id}",
            "type": "Camera",
            "refDevice": {"type": "Relationship", "object": device},
            "on": _prop(status.state is CameraState.ONLINE, at),
        }
        config = self.cameras.get(status.camera_id)
        if config is not None:
            camera["name"] = {"type": "Property", "value": config.name or config.id}
            if config.placement is not None:
                place = config.placement
                camera["location"] = {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [place.lon, place.lat]},
                }
                camera["fieldOfView"] = {"type": "Property", "value": place.fov_deg}
                camera["cameraOrientation"] = {"type": "Property", "value": place.heading_deg}
        health = {
            "id": device,
            "type": "Device",
            "deviceState": _prop(status.state.value, at),
            "fps": _prop(status.fps, at),
            "lagSeconds": _prop(status.lag_s, at),
            "framesDropped": _prop(status.frames_dropped, at),
            "reconnects": _prop(status.reconnects, at),
            "controlledAsset": {"type": "Relationship", "object": camera["id"]},
        }
        if status.last_error:
            health["lastError"] = _prop(status.last_error, at)
        if status.health is not None:
            camera.update(_picture(status))
        return [camera, health]


def _picture(status: CameraStatus) -> Body:
    """The quality audit on the Camera entity: `resolutionMP` and a `cameraHealth` property
    (worst reason, every raised reason, and each measure with its threshold)."""
    picture = status.health
    assert picture is not None
    at = picture.measured_at
    worst = picture.worst
    if status.state is CameraState.OFFLINE:
        worst = HealthReason.OFFLINE
    value = {
        "status": worst.value if worst is not None else "ok",
        "reasons": [r.value for r in picture.reasons],
        "referenceReady": picture.reference_ready,
        "checks": [c.model_dump(mode="json") for c in picture.checks],
    }
    return {
        "resolutionMP": _prop(picture.megapixels, at, "MP"),
        "cameraHealth": _prop(value, at),
    }


def _crowd_value(name: str, value: float) -> float:
    """Counts are whole people; Smart Data Models gives averageCrowdSpeed in km/h (ours: m/s)."""
    if name == "peopleCount":
        return round(value)
    if name == "averageCrowdSpeed":
        return round(value * 3.6, 3)
    return value


def _observation(obs: Observation) -> list[Body]:
    at = obs.observed_at
    if obs.kind in _CROWD:
        name = _CROWD[obs.kind]
        body: Body = {
            "id": crowd_id(obs.camera_id, obs.rule_id),
            "type": "CrowdFlowObserved",
            "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Camera:{obs.camera_id}"},
            name: _prop(_crowd_value(name, obs.value), at, _UNITS.get(name)),
        }
        if obs.kind is ObservationKind.CROWD_DENSITY and obs.level is not None:
            body["riskLevel"] = _prop(obs.level, at)
            body["congested"] = _prop(obs.level.lower() not in _CALM, at)
        return [body]
    if obs.kind in _FLOOD:
        name = _FLOOD[obs.kind]
        body = {
            "id": flood_id(obs.camera_id, obs.rule_id),
            "type": "FloodMonitoring",
            "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Camera:{obs.camera_id}"},
            name: _prop(obs.value, at, _UNITS.get(name)),
        }
        if obs.level is not None:
            body["floodLevelStatus"] = _prop(obs.level, at)
        return [body]
    return []


def _event(event: Event) -> list[Body]:
    at = event.occurred_at
    zone = event.zone_id or event.rule_id
    if event.kind is EventKind.CROWD_RISK and event.level is not None:
        return [
            {
                "id": crowd_id(event.camera_id, zone),
                "type": "CrowdFlowObserved",
                "riskLevel": _prop(event.level, at),
                "congested": _prop(event.level.lower() not in _CALM, at),
            }
        ]
    if event.kind is EventKind.FLOOD and event.level is not None:
        return [
            {
                "id": flood_id(event.camera_id, zone),
                "type": "FloodMonitoring",
                "floodLevelStatus": _prop(event.level, at),
            }
        ]
    return []


def _alert(change: AlertChanged) -> Body:
    alert = change.alert
    at = alert.updated_at
    body: Body = {
        "id": f"urn:ngsi-ld:Alert:{alert.id}",
        "type": "Alert",
        "category": _prop(_ALERT_CATEGORY.get(alert.kind, "security"), at),
        "subCategory": _prop(alert.kind.value, at),
        "severity": _prop(alert.severity.value, at),
        "alertStatus": _prop(alert.status.value, at),
        "description": _prop(alert.title_en or alert.title, at),
        "dateIssued": {"type": "Property", "value": iso(alert.opened_at)},
        "alertSource": {"type": "Relationship", "object": f"urn:ngsi-ld:Camera:{alert.camera_id}"},
    }
    if alert.zone_id is not None:
        # cctwin's own member (the data model has no zone): which of the camera's zones.
        body["zone"] = _prop(alert.zone_id, at)
    if alert.closed_at is not None:
        body["validTo"] = {"type": "Property", "value": iso(alert.closed_at)}
    return body
