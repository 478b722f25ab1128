"""NGSI-LD request bodies: JSON or JSON-LD, and where their @context is (CIM 009 6.3.4)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from cctwin.ngsi.context import LdContext, link_context
from cctwin.ngsi.problems import NgsiError, Problem, bad_data

LD_JSON = "application/ld+json"
MERGE_PATCH = "application/merge-patch+json"


async def read_json(request: Request) -> Any:
    """The JSON body of a request whose Content-Type is JSON (or JSON-LD; a PATCH may say
    application/merge-patch+json, CIM 009 6.3.4)."""
    media = _media(request)
    if media not in ("application/json", LD_JSON):
        raise NgsiError(Problem.UNSUPPORTED_MEDIA_TYPE, f"Content-Type {media!r} is not JSON")
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except ValueError as error:
        raise NgsiError(Problem.INVALID_REQUEST, f"the body is not JSON: {error}") from error


def _media(request: Request) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip()
    if media == MERGE_PATCH and request.method == "PATCH":
        return "application/json"  # a merge patch is JSON, its @context in a Link header
    return media


async def read_body(request: Request) -> tuple[Any, LdContext]:
    """The JSON body and its @context, checking Content-Type against where @context is."""
    media = _media(request)
    body = await read_json(request)
    has_link = link_context(request.headers.get("link")) is not None
    items = body if isinstance(body, list) else [body]
    contexts = [b.get("@context") for b in items if isinstance(b, dict)]
    if media == LD_JSON:
        if has_link:
            raise bad_data("application/ld+json carries its @context in the body, not a Link")
        if not contexts or any(c is None for c in contexts):
            raise bad_data("an application/ld+json body needs an @context member")
        return body, contexts[0]
    if any(c is not None for c in contexts):
        raise bad_data("an application/json body cannot have @context (use a Link header)")
    return body, None
