"""The OpenAPI document, completed with answers FastAPI gives but does not list itself."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

MALFORMED = {
    "description": "The body is not parsable (malformed JSON or form); the detail says so.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorRead"}}},
}


def install_document(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (FastAPI builds and caches it once)."""
    build = app.openapi

    def document() -> dict[str, Any]:
        return complete(build())  # idempotent: the cached document is completed in place

    app.openapi = document  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Every /api operation that takes a body may answer 400 for one it cannot parse."""
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue  # NGSI-LD documents its own errors
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("400", MALFORMED)
    return document
