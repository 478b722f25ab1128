"""The message catalogue for the dashboard: every label in the operator's language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Response

from cctwin.api.deps import NOT_FOUND
from cctwin.catalogue import DEFAULT_LANGUAGE, LANGUAGES, messages

router = APIRouter(prefix="/api", tags=["site"])


@router.get("/catalogue", responses=NOT_FOUND)
async def get_catalogue(
    response: Response, lang: str = Query(DEFAULT_LANGUAGE, description="ko or en")
) -> dict[str, Any]:
    """`{"language", "languages", "messages": {key: text}}`; text uses `{name}` placeholders."""
    if lang not in LANGUAGES:
        raise HTTPException(404, f"no catalogue for language {lang!r}; have {list(LANGUAGES)}")
    # The words change only with a new release; a reload may reuse them but should revalidate.
    response.headers["Cache-Control"] = "no-cache"
    return {"language": lang, "languages": list(LANGUAGES), "messages": dict(messages(lang))}
