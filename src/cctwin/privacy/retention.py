"""Retention policy: each camera's purpose and retention days, cut-off times, and PrivacyObject."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cctwin.config import CameraConfig, Config

# What a PIPA public CCTV collects: images of people, so personal data.
_CATEGORY = ("multimedia", "sensor")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long one camera's media, events and observations are kept, and why."""

    camera_id: str
    purpose: str
    retention_days: int
    mask: bool

    def cutoff(self, now: datetime) -> datetime:
        """Anything recorded before this instant is past retention."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("retention clock must be timezone-aware")
        return now - timedelta(days=self.retention_days)


def policy_for(camera: CameraConfig, config: Config) -> RetentionPolicy:
    """A camera's policy: its own `privacy:` fields, else the deployment's."""
    own, default = camera.privacy, config.privacy
    return RetentionPolicy(
        camera_id=camera.id,
        purpose=own.purpose or default.purpose,
        retention_days=own.retention_days or default.retention_days,
        mask=default.mask if own.mask is None else own.mask,
    )


def policies(config: Config) -> list[RetentionPolicy]:
    """Every configured camera's policy (disabled cameras too: their footage is still kept)."""
    return [policy_for(camera, config) for camera in config.cameras]


@dataclass(frozen=True, slots=True)
class PrivacyObject:
    """A camera's privacy facts shaped as a Smart Data Models `PrivacyObject`
    (dataModel.Device), key-values form; `as_key_values` gives the JSON body."""

    id: str
    name: str
    purpose: str
    retention_period: str
    ref_device: str
    masked: bool
    location: tuple[float, float] | None

    def as_key_values(self) -> dict[str, object]:
        body: dict[str, object] = {
            "id": self.id,
            "type": "PrivacyObject",
            "name": self.name,
            "description": (
                "Faces, heads and plates masked before images leave the analysis worker"
                if self.masked
                else "Images are kept unmasked"
            ),
            "category": list(_CATEGORY),
            "isPersonalData": True,
            "purpose": self.purpose,
            # ISO 8601 duration, as the model's free-text field is best read by machines.
            "retentionPeriod": self.retention_period,
            "refDevice": self.ref_device,
        }
        if self.location is not None:
            body["location"] = {"type": "Point", "coordinates": list(self.location)}
        return body


def privacy_object(camera: CameraConfig, config: Config) -> PrivacyObject:
    """The camera's PrivacyObject record (the NGSI-LD twin exposes it)."""
    policy = policy_for(camera, config)
    place = camera.placement
    return PrivacyObject(
        id=f"urn:ngsi-ld:PrivacyObject:{camera.id}",
        name=camera.name or camera.id,
        purpose=policy.purpose,
        retention_period=f"P{policy.retention_days}D",
        ref_device=f"urn:ngsi-ld:Device:{camera.id}",
        masked=policy.mask,
        location=None if place is None else (place.lon, place.lat),
    )


def purge_policies(config: Config, stored_camera_ids: set[str]) -> list[RetentionPolicy]:
    """Policies for every configured camera, plus the default for cameras removed from the
    config whose footage is still stored (removing a camera must not keep its data forever)."""
    known = policies(config)
    configured = {p.camera_id for p in known}
    default = config.privacy
    removed = [
        RetentionPolicy(camera_id, default.purpose, default.retention_days, default.mask)
        for camera_id in sorted(stored_camera_ids - configured)
    ]
    return known + removed
