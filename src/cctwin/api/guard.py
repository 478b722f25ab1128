"""The guard: every route of the app needs credentials, except the few listed as public.

A pure ASGI middleware rather than router dependencies, so that routers included later (the
NGSI-LD API, anything mounted) are covered without being told, SSE and MJPEG included.
"""

from __future__ import annotations

import asyncio
import json

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from cctwin.api.deps import PRINCIPAL_KEY
from cctwin.security.roles import Permission, Principal
from cctwin.security.service import Authenticator, AuthError

PUBLIC = frozenset(
    {
        "/api/health",
        "/api/auth/token",
        "/api/auth/session",
        "/api/auth/logout",
        "/api/catalogue",  # the login page's words; no personal data
    }
)
ALWAYS_GUARDED = ("/api/", "/ngsi-ld/", "/metrics", "/docs", "/redoc", "/openapi.json")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# NGSI-LD queries that take their filter as a POST body (CIM 009 5.7.2, 5.7.5): reads.
QUERY_OPERATIONS = ("/entityOperations/query",)
SESSION_COOKIE = "cctwin_session"
CSRF_COOKIE = "cctwin_csrf"
CSRF_HEADER = "x-csrf-token"
WEB_MOUNT = "web"  # the dashboard's static files: public (they hold no data)


class Guard:
    def __init__(self, app: ASGIApp, auth: Authenticator) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._guarded(scope):
            await self.app(scope, receive, send)
            return
        try:
            principal = await asyncio.to_thread(self._authenticate, scope)
        except AuthError as exc:
            await _refuse(send, 401, str(exc))
            return
        scope[PRINCIPAL_KEY] = principal
        needed = _ngsi_permission(scope)
        if needed is not None and not principal.can(needed):
            await _refuse(send, 403, f"the {principal.role.value} role may not {needed.value}")
            return
        await self.app(scope, receive, send)

    def _guarded(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path in PUBLIC:
            return False
        if path.startswith(ALWAYS_GUARDED):
            return True
        for route in scope["app"].router.routes:
            if isinstance(route, Mount) and route.name == WEB_MOUNT:
                continue
            if route.matches(scope)[0] is not Match.NONE:
                return True
        return False

    def _authenticate(self, scope: Scope) -> Principal:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        address = client[0] if client else ""
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            return self.auth.bearer(credential.strip(), address)
        cookie = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        if cookie:
            unsafe = scope["method"] not in SAFE_METHODS
            return self.auth.session(cookie, headers.get(CSRF_HEADER), unsafe)
        raise AuthError("not authenticated: send Authorization: Bearer TOKEN-or-KEY, or log in")


def _ngsi_permission(scope: Scope) -> Permission | None:
    """The NGSI-LD API reads the twin with VIEW_TWIN and changes it with WRITE_TWIN (other
    systems pushing their sensors); its router is the broker's own, so it is checked here."""
    path: str = scope["path"]
    if not path.startswith("/ngsi-ld/"):
        return None
    reading = scope["method"] in SAFE_METHODS or (
        scope["method"] == "POST" and path.rstrip("/").endswith(QUERY_OPERATIONS)
    )
    return Permission.VIEW_TWIN if reading else Permission.WRITE_TWIN


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


async def _refuse(send: Send, status: int, reason: str) -> None:
    """A JSON `{"detail": reason}` answer: 401 asks for a bearer credential, 403 refuses one."""
    body = json.dumps({"detail": reason}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
