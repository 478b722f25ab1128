"""Annotated dependencies shared by the routes: services, the caller, permissions, scopes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from cctwin.app import Services
from cctwin.security.roles import Permission, Principal

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


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such resource (the detail names what is missing)."}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed from the alert's current status, or moved meanwhile."}
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No, expired or wrong credentials (the detail says which)."},
    403: {"description": "The caller's role or camera scope does not allow it."},
}
