"""The one Korean/English message catalogue: alert titles, reports and every dashboard word.

The words live in `ko.json` and `en.json` beside this module (flat `key: text` maps with the
same keys; `{name}` placeholders, filled the same way here and in `web/i18n.js`). The server
reads them for alert titles and situation reports and serves them to the dashboard at
`GET /api/catalogue`, so a label is changed in one place for both.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

LANGUAGES: tuple[str, ...] = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
# `{name}` only: no format specs, so the browser fills a template exactly as Python does and
# numbers are formatted by the caller, who knows how many decimals make sense.
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class UnknownLanguageError(ValueError):
    """A language the catalogue has no messages for."""


@functools.cache
def messages(language: str) -> Mapping[str, str]:
    """Every message of one language, read once and then shared read-only."""
    if language not in LANGUAGES:
        raise UnknownLanguageError(f"no messages for language {language!r}; have {LANGUAGES}")
    raw = resources.files(__package__).joinpath(f"{language}.json").read_text(encoding="utf-8")
    loaded = json.loads(raw)
    if not isinstance(loaded, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in loaded.items()
    ):
        raise ValueError(f"{language}.json must map message keys to strings")
    return MappingProxyType(loaded)


def placeholders(template: str) -> frozenset[str]:
    """The names a template expects, e.g. {"count"} for "{count}건"."""
    return frozenset(PLACEHOLDER.findall(template))


def text(language: str, key: str, **params: object) -> str:
    """The message `key` in `language` with its placeholders filled from `params`.

    A missing key or parameter raises KeyError: on the server that is a bug to catch in tests,
    not a string to show an operator with braces in it.
    """
    template = messages(language)[key]
    return PLACEHOLDER.sub(lambda match: str(params[match.group(1)]), template)


def text_or(language: str, key: str, fallback: str, **params: object) -> str:
    """Like `text`, but `fallback` for keys the catalogue has no words for (a COCO class, a level)."""
    if key not in messages(language):
        return fallback
    return text(language, key, **params)
