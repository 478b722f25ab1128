"""Annotated dependencies shared by the routes: services, the caller, permissions, scopes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, BeforeValidator, StringConstraints

from cctwin.app import Services
from cctwin.security.roles import Permission, Principal
from cctwin.security.zone_scope import ZoneScopes
from cctwin.store.rows import CURSOR_PATTERN

# Where the guard middleware leaves the authenticated caller in the ASGI scope.
PRINCIPAL_KEY = "cctwin.principal"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(request: Request) -> Principal:
    principal = request.scope.get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        # The guard answers first; this only runs for a route it was told is public.
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission) -> Any:
    """A route dependency: 403 without `permission`, or for a `camera_id` outside the scope."""

    def check(request: Request, principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise HTTPException(403, f"role {principal.role.value!r} may not {permission.value}")
        camera_id = request.path_params.get("camera_id")
        if camera_id is not None:
            check_camera(principal, str(camera_id))
        return principal

    return Depends(check)


def check_camera(principal: Principal, camera_id: str) -> None:
    if not principal.sees(camera_id):
        raise HTTPException(403, f"camera {camera_id!r} is outside your scope")


def check_zone(principal: Principal, zone_id: str | None) -> None:
    if not principal.sees_zone(zone_id):
        raise HTTPException(403, f"zone {zone_id!r} is outside your scope")


def get_zone_scopes(services: ServicesDep) -> ZoneScopes:
    return ZoneScopes(services.config.cameras)


ZoneScopesDep = Annotated[ZoneScopes, Depends(get_zone_scopes)]


def check_rule(principal: Principal, scopes: ZoneScopes, camera_id: str, rule_id: str) -> None:
    """403 unless the zone scope covers the camera's zone, line, ROI or rule `rule_id`."""
    if not scopes.covers(principal, camera_id, rule_id):
        raise HTTPException(403, f"zone {rule_id!r} of camera {camera_id!r} is outside your scope")


def scoped_zones(principal: Principal, requested: tuple[str, ...]) -> tuple[str, ...]:
    """The zones a query may cover, like `scoped` for cameras."""
    for zone_id in requested:
        check_zone(principal, zone_id)
    if requested or principal.zones is None:
        return requested
    return tuple(sorted(principal.zones))


def scoped(principal: Principal, requested: tuple[str, ...]) -> tuple[str, ...]:
    """The cameras a query may cover: the requested ones (403 if any is outside the scope),
    else every camera in scope; () means no restriction."""
    for camera_id in requested:
        check_camera(principal, camera_id)
    if requested or principal.cameras is None:
        return requested
    return tuple(sorted(principal.cameras))


class ErrorRead(BaseModel):
    """An error answer: the reason, or (invalid fields) FastAPI's list of them."""

    detail: str | list[dict[str, Any]]


BAD_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorRead, "description": "Invalid input (the detail says which and why)."}
}

# RFC 3339 as the document promises: a number (which pydantic would read as Unix time) or a
# bare date is refused rather than guessed at.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: object) -> object:
    if isinstance(value, str) and not _DATE_TIME.match(value):
        raise ValueError("expected a date-time such as 2026-11-25T09:00:00+09:00")
    return value


RFC3339 = BeforeValidator(_date_time_text)
QueryTime = Annotated[datetime | None, RFC3339, Query()]
Cursor = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=1024,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page, as it came: the position after the "
        "page's last row, its time in microseconds since 1970 (UTC), a dot, and its id's UTF-8 "
        "bytes in lowercase hex (`1764982800000000.6576742d31`). Any value of this form is "
        "valid: the page starts after that position.",
    ),
]


def listed(values: Iterable[str]) -> Any:
    """A query value that is one of `values`, several joined by commas, or empty (the document's
    pattern says which, so an unknown one is refused by the document, not only by us)."""
    names = "|".join(re.escape(v) for v in sorted(values))
    return StringConstraints(pattern=f"^(?:(?:{names})(?:,(?:{names}))*)?$")


def content(media_type: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answered in `media_type` (not JSON), for the document."""
    return {200: {"content": {media_type: {}}}}


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such resource (the detail names what is missing)."}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed from the alert's current status, or moved meanwhile."}
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No, expired or wrong credentials (the detail says which)."},
    403: {"description": "The caller's role, camera or zone scope does not allow it."},
}
