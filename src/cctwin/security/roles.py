"""Roles and their permissions as data, and the principal a request acts as."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    PRIVACY_OFFICER = "privacy_officer"
    PLANNER = "planner"
    RESEARCHER = "researcher"
    AGENCY = "agency"
    INTEGRATOR = "integrator"


class Permission(StrEnum):
    VIEW_TWIN = "view_twin"  # map, cameras and their status, positions, site layers
    VIEW_STATISTICS = "view_statistics"  # counts, occupancy, crowd and water measurements
    VIEW_EVENTS = "view_events"  # de-identified event records (no imagery)
    VIEW_ALERTS = "view_alerts"
    HANDLE_ALERTS = "handle_alerts"  # transitions and notes
    VIEW_LIVE = "view_live"  # live frames and MJPEG
    VIEW_RECORDED = "view_recorded"  # snapshots and clips
    INJECT_EVENTS = "inject_events"
    VIEW_STREAM = "view_stream"  # SSE; frames are still filtered by scope
    VIEW_METRICS = "view_metrics"
    VIEW_API_DOCS = "view_api_docs"
    VIEW_AUDIT = "view_audit"
    EXPORT = "export"
    UNMASK = "unmask"
    MANAGE_USERS = "manage_users"
    WRITE_TWIN = "write_twin"  # NGSI-LD: create, update, delete entities and subscriptions
    PLAN_CAMERAS = "plan_cameras"  # run the camera placement optimiser (CPU-heavy)


P = Permission
_WATCH = {P.VIEW_TWIN, P.VIEW_STATISTICS, P.VIEW_EVENTS, P.VIEW_ALERTS, P.VIEW_STREAM}
_DOCS = {P.VIEW_API_DOCS}

# The table a privacy officer reviews: change it here, nowhere else.
PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.SUPERVISOR: frozenset(
        _WATCH | _DOCS | {P.HANDLE_ALERTS, P.VIEW_LIVE, P.VIEW_RECORDED, P.EXPORT, P.VIEW_METRICS}
    ),
    Role.OPERATOR: frozenset(_WATCH | {P.HANDLE_ALERTS, P.VIEW_LIVE, P.VIEW_RECORDED}),
    Role.PRIVACY_OFFICER: frozenset(
        _WATCH | _DOCS | {P.VIEW_RECORDED, P.VIEW_AUDIT, P.EXPORT, P.UNMASK}
    ),
    # The twin and statistics, never imagery of people.
    Role.PLANNER: frozenset({P.VIEW_TWIN, P.VIEW_STATISTICS, P.VIEW_STREAM, P.PLAN_CAMERAS}),
    # De-identified data only: measurements and event records, no imagery, no live map.
    Role.RESEARCHER: frozenset({P.VIEW_STATISTICS, P.VIEW_EVENTS}),
    # Police, fire: the alerts of their cameras with the evidence, no live video.
    Role.AGENCY: frozenset({P.VIEW_TWIN, P.VIEW_EVENTS, P.VIEW_ALERTS, P.VIEW_RECORDED}),
    Role.INTEGRATOR: frozenset(
        _DOCS
        | {P.VIEW_TWIN, P.VIEW_STATISTICS, P.VIEW_EVENTS, P.INJECT_EVENTS, P.VIEW_METRICS}
        | {P.WRITE_TWIN}
    ),
}


def parse_role(name: str) -> Role:
    """The role called `name`; ValueError naming the valid ones."""
    try:
        return Role(name)
    except ValueError:
        raise ValueError(f"unknown role {name!r}; use one of {[r.value for r in Role]}") from None


def parse_cameras(text: str | None) -> frozenset[str] | None:
    """`a,b` -> {a, b}; empty or None -> None (every camera)."""
    names = frozenset(c.strip() for c in (text or "").split(",") if c.strip())
    return names or None


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user or an API key, its role and its camera scope."""

    name: str
    kind: str  # "user" or "key"
    role: Role
    cameras: frozenset[str] | None = None  # None = every camera
    # None = every zone; else only events, alerts and observations of these zones (an
    # event's zone_id, an observation's rule_id), on the cameras in scope.
    zones: frozenset[str] | None = None

    @property
    def actor(self) -> str:
        """How the audit log names it: `user:alice`, `key:ingest`."""
        return f"{self.kind}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def sees(self, camera_id: str) -> bool:
        return self.cameras is None or camera_id in self.cameras

    def sees_zone(self, zone_id: str | None) -> bool:
        return self.zones is None or (zone_id is not None and zone_id in self.zones)

    def visible(self, camera_ids: Iterable[str]) -> list[str]:
        return [c for c in camera_ids if self.sees(c)]
