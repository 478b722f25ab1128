"""405 with a truthful `Allow` for API paths the OpenAPI document gives other methods.

The dashboard's static files are mounted at `/` and match every path, so without this an
unsupported method on an API path would reach them and be refused with their `Allow: GET,
HEAD`, which names methods the API path does not have and leaves out the ones it has.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

# NGSI-LD answers its own 405s as problem details (routes/ngsi.py).
API_PREFIXES = ("/api/",)
_CACHE = "cctwin_operation_templates"


class MethodCheck:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIXES):
            allowed = allowed_methods(scope)
            if allowed:
                await _refuse(send, scope["method"], allowed)
                return
        await self.app(scope, receive, send)


def allowed_methods(scope: Scope) -> list[str]:
    """The methods the document gives the path, when this method is not one; else []."""
    allowed: set[str] = set()
    for pattern, methods in _templates(scope["app"]):
        if pattern.match(scope["path"]):
            allowed |= methods
    if not allowed or scope["method"] in allowed:
        return []
    return sorted(allowed)


def _templates(app: Any) -> list[tuple[re.Pattern[str], set[str]]]:
    """(path regex, methods) of every operation of the app's OpenAPI document, built once."""
    cached: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, _CACHE, None)
    if cached is None:
        cached = []
        for template, item in app.openapi()["paths"].items():
            methods = {m.upper() for m in item}
            if "GET" in methods:
                methods.add("HEAD")
            cached.append((compile_path(template)[0], methods))
        setattr(app.state, _CACHE, cached)
    return cached


async def _refuse(send: Send, method: str, allowed: list[str]) -> None:
    body = json.dumps({"detail": f"{method} is not allowed here; use {', '.join(allowed)}"})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"allow", ", ".join(allowed).encode()),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})
