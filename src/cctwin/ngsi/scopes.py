"""NGSI-LD scope queries (CIM 009 4.19): `scopeQ` against hierarchical scopes like /Madrid/Sol.

A scope query is one or more scope patterns joined by `,` (or) and `;` (and); in a pattern
`+` stands for one level and a trailing `#` for the level it follows and all below it
(`/Madrid/#` matches /Madrid and /Madrid/Sol/Plaza, `/#` any scope).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cctwin.ngsi.problems import bad_data

ScopePredicate = Callable[[Sequence[str]], bool]
_LEVEL = re.compile(r"^[^/+#,;]+$")


def parse_scope_q(text: str) -> ScopePredicate:
    """A predicate over an item's scopes (BadRequestData if `text` is not a scope query)."""
    alternatives = [[_pattern(p) for p in part.split(";")] for part in text.split(",")]

    def matches(scopes: Sequence[str]) -> bool:
        return any(all(any(p.match(s) for s in scopes) for p in group) for group in alternatives)

    return matches


def _pattern(text: str) -> re.Pattern[str]:
    text = text.strip()
    if not text.startswith("/"):
        raise bad_data(f"scopeQ: a scope starts with '/', not {text!r}")
    if text == "/#":
        return re.compile(r"^/.*$")
    levels = text[1:].split("/")
    out = ""
    for index, level in enumerate(levels):
        if level == "#" and index == len(levels) - 1:
            return re.compile(f"^{out}(/.*)?$")
        if level == "+":
            out += r"/[^/]+"
        elif _LEVEL.match(level):
            out += "/" + re.escape(level)
        else:
            raise bad_data(f"scopeQ: bad scope level {level!r} in {text!r}")
    return re.compile(f"^{out}$")
