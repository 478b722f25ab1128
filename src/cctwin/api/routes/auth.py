"""Login: OAuth2 password flow for the API, a session cookie with CSRF for the dashboard."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Request, Response
from pydantic import BaseModel, Field

from cctwin.api.deps import PrincipalDep, ServicesDep
from cctwin.api.guard import CSRF_COOKIE, SESSION_COOKIE
from cctwin.app import Services
from cctwin.security.roles import PERMISSIONS, Principal
from cctwin.security.service import LoginRefusedError

router = APIRouter(prefix="/api/auth", tags=["auth"])
REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong user name or password."},
    429: {"description": "Too many failed logins from this address; see Retry-After."},
}


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class SessionRead(BaseModel):
    user: str
    role: str
    csrf_token: str = Field(description="Send it back as X-CSRF-Token on POST/PUT/DELETE.")


class MeRead(BaseModel):
    name: str
    kind: str
    role: str
    cameras: list[str] | None
    permissions: list[str]
    zones: list[str] | None = None


async def _login(services: Services, request: Request, name: str, password: str) -> Principal:
    address = request.client.host if request.client else ""
    try:
        return await asyncio.to_thread(services.auth.login, name, password, address)
    except LoginRefusedError as exc:
        headers = {"Retry-After": str(int(exc.retry_after_s) + 1)} if exc.status == 429 else {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        raise HTTPException(exc.status, str(exc), headers=headers) from None


@router.post("/token", response_model=TokenRead, responses=REFUSED)
async def token(
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    request: Request,
    services: ServicesDep,
    grant_type: Annotated[
        Literal["password"] | None, Form(description="RFC 6749 4.3: `password` if sent.")
    ] = None,
    scope: Annotated[str, Form(max_length=1024, description="Ignored: roles decide.")] = "",
) -> TokenRead:
    """OAuth2 password flow: form fields `username`, `password` -> a short-lived bearer token.

    The form is declared field by field (not FastAPI's OAuth2PasswordRequestForm) so the
    document states what is refused: empty names or passwords, a `grant_type` other than
    `password`. `client_id` and `client_secret` are not used and may be left out.
    """
    principal = await _login(services, request, username, password)
    ttl = services.config.security.token_ttl_s
    return TokenRead(access_token=services.auth.access_token(principal), expires_in=int(ttl))


class LoginCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/session", response_model=SessionRead, responses=REFUSED)
async def session(
    body: LoginCreate, request: Request, response: Response, services: ServicesDep
) -> SessionRead:
    """Dashboard login: sets an HttpOnly SameSite=Strict session cookie and a CSRF cookie."""
    principal = await _login(services, request, body.username, body.password)
    cookie, csrf = services.auth.session_token(principal)
    mode = services.config.security.cookie_secure
    secure = mode == "always" or (mode == "auto" and request.url.scheme == "https")
    ttl = int(services.config.security.session_ttl_s)
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=ttl, httponly=True, samesite="strict", secure=secure
    )
    # Readable by the dashboard's script, which echoes it as X-CSRF-Token.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=ttl, samesite="strict", secure=secure)
    return SessionRead(user=principal.name, role=principal.role.value, csrf_token=csrf)


@router.post("/logout", status_code=204)
async def logout(response: Response) -> Response:
    """Ends the dashboard session (the cookies are cleared)."""
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get(
    "/me", response_model=MeRead, responses={401: {"description": "No or wrong credentials."}}
)
async def me(principal: PrincipalDep) -> MeRead:
    """Who the credentials belong to, their role, camera scope and permissions."""
    return MeRead(
        name=principal.name,
        kind=principal.kind,
        role=principal.role.value,
        cameras=sorted(principal.cameras) if principal.cameras is not None else None,
        permissions=sorted(p.value for p in PERMISSIONS[principal.role]),
        zones=sorted(principal.zones) if principal.zones is not None else None,
    )
