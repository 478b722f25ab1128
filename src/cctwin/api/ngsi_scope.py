"""NGSI-LD answers cut to a camera- or zone-scoped caller's scope (the broker serves the whole
district; a scoped key sees only its cameras' and zones' entities there, as on /api)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cctwin.api.deps import PRINCIPAL_KEY
from cctwin.security.entity_scope import EntityScope
from cctwin.security.roles import Principal

PREFIX = "/ngsi-ld/v1/"
# What a scoped caller may do: read entities, their history and the vocabulary. Subscriptions
# and registrations would notify or describe entities outside the scope; writes change them.
_READS = ("entities", "temporal/entities", "types", "attributes", "jsonldContexts")
_QUERIES = ("entityOperations/query", "temporal/entityOperations/query")
_JSON_TYPES = (b"application/json", b"application/ld+json", b"application/geo+json")


class NgsiScope:
    """Pure ASGI middleware inside the guard: refuses what a scoped caller may not do over
    NGSI-LD and drops the entities outside its scope from every answer it may get."""

    def __init__(self, app: ASGIApp, entities: EntityScope) -> None:
        self.app = app
        self.entities = entities

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get(PRINCIPAL_KEY)
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or not path.startswith(PREFIX)
            or not isinstance(principal, Principal)
            or (principal.cameras is None and principal.zones is None)
        ):
            await self.app(scope, receive, send)
            return
        operation = path[len(PREFIX) :].rstrip("/")
        reading = scope["method"] in ("GET", "HEAD") and operation.startswith(_READS)
        if not reading and not (scope["method"] == "POST" and operation in _QUERIES):
            await _refuse(
                send,
                f"a camera- or zone-scoped caller may only read entities over NGSI-LD, not {scope['method']} {operation or '/'}",
            )
            return
        await self.app(scope, receive, _Cut(send, principal, self.entities))


class _Cut:
    """Holds a JSON answer back until it is complete, then sends it without the entities
    outside the scope (a single one outside it is a 403)."""

    def __init__(self, send: Send, principal: Principal, entities: EntityScope) -> None:
        self.send = send
        self.principal = principal
        self.entities = entities
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if message["status"] == 200 and content_type.startswith(_JSON_TYPES):
                self.start = message
                return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        raw = b"".join(self.chunks)
        if not raw:  # HEAD: the headers only
            await self.send(self.start)
            await self.send(message)
            return
        kept = self._cut(orjson.loads(raw))
        if kept is None:
            await _refuse(self.send, "this entity belongs to a camera or zone outside your scope")
            return
        payload = orjson.dumps(kept)
        headers = [(k, v) for k, v in self.start["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(payload)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": payload})

    def _cut(self, body: Any) -> Any:
        visible = self.entities.visible
        if isinstance(body, list):
            return [e for e in body if not isinstance(e, dict) or visible(self.principal, e)]
        if isinstance(body, dict) and body.get("type") == "FeatureCollection":
            features = body.get("features", [])
            kept = [f for f in features if visible(self.principal, _feature_entity(f))]
            return {**body, "features": kept}
        if isinstance(body, dict) and body.get("type") == "Feature":
            return body if visible(self.principal, _feature_entity(body)) else None
        if isinstance(body, dict) and "id" in body:
            return body if visible(self.principal, body) else None
        return body


def _feature_entity(feature: Any) -> dict[str, Any]:
    if not isinstance(feature, dict):
        return {}
    properties = feature.get("properties")
    return {"id": feature.get("id"), **(properties if isinstance(properties, dict) else {})}


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})
