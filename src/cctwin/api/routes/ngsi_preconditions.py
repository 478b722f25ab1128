"""Preconditions of every /ngsi-ld/ request (CIM 009 V1.8.1 6.3.4, 6.3.20): a body without
Content-Length is a bare 411; a query parameter the API does not define is InvalidRequest;
the Accept header chooses among the representations an operation offers."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from cctwin.ngsi.problems import NgsiError, Problem

PREFIX = "/ngsi-ld/"
# Every query parameter CIM 009 V1.8.1 defines on any operation (clause 6): an unknown one
# is refused rather than silently ignored (6.3.20).
PARAMETERS = frozenset(
    {
        "id", "type", "idPattern", "attrs", "q", "csf", "scopeQ", "georel", "geometry",
        "coordinates", "geoproperty", "geometryProperty", "timeproperty", "timerel", "timeAt",
        "endTimeAt", "lastN", "aggrMethods", "aggrPeriodDuration", "options", "format",
        "limit", "offset", "count", "lang", "pick", "omit", "details", "kind", "reload",
        "datasetId", "deleteAll", "local", "join", "joinLevel", "containedBy", "entityMap",
        "splitEntities", "collect", "expandValues", "jsonKeys", "observedAt", "via",
        "contextSourceInfo", "doNotCompact", "noOverwrite",
    }
)  # fmt: skip
_WITH_BODY = frozenset({"POST", "PATCH", "PUT"})
JSON = "application/json"
LD_JSON = "application/ld+json"
GEO_JSON = "application/geo+json"


class Preconditions:
    """Pure ASGI: refuses what no /ngsi-ld/ operation accepts before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] in _WITH_BODY and "content-length" not in headers:
            await _answer(send, 411, b"")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        unknown = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)} - PARAMETERS)
        if unknown:
            error = NgsiError(Problem.INVALID_REQUEST, f"unknown query parameters {unknown}")
            await _answer(send, 400, orjson.dumps(error.body()), "application/json")
            return
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, body: bytes, media: str | None = None) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if media is not None:
        headers.append((b"content-type", media.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def negotiate(accept: str | None, geo: bool = False) -> str:
    """The representation an Accept header selects (6.3.4): the highest weight; equal weights
    go to the first of application/json, application/ld+json, application/geo+json (the last
    only where the operation offers it). NotAcceptable when none is acceptable."""
    offers = [JSON, LD_JSON, GEO_JSON] if geo else [JSON, LD_JSON]
    if not accept or not accept.strip():
        return JSON
    ranges = [_media_range(part) for part in accept.split(",") if part.strip()]
    best, best_q = None, 0.0
    for offer in offers:
        weight = _weight(offer, ranges)
        if weight > best_q:
            best, best_q = offer, weight
    if best is None:
        raise NgsiError(Problem.NOT_ACCEPTABLE, f"cannot answer in {accept}")
    return best


def _media_range(part: str) -> tuple[str, float]:
    media, *params = (p.strip() for p in part.split(";"))
    weight = 1.0
    for param in params:
        key, _, value = param.partition("=")
        if key.strip() == "q":
            # A weight that is not a number is no RFC 9110 rule: the range keeps weight 1.
            with contextlib.suppress(ValueError):
                weight = min(max(float(value), 0.0), 1.0)
    return media.lower(), weight


def _weight(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The weight of the most specific range matching `offer` (0 if none matches)."""
    kind = offer.split("/")[0]
    found: tuple[int, float] | None = None
    for media, weight in ranges:
        if media == offer:
            rank = 3
        elif media in (f"{kind}/*",):
            rank = 2
        elif media == "*/*":
            rank = 1
        else:
            continue
        if found is None or rank > found[0]:
            found = (rank, weight)
    return found[1] if found is not None else 0.0
