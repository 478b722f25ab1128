"""The NGSI-LD scope query language (`scopeQ`, CIM 009 V1.8.1 clause 4.19).

A scope is a path of levels (`/Madrid/Gardens/ParqueNorte`). In a query `+` stands for one
level and a final `#` for any number of levels, none included (`/Madrid/#` matches `/Madrid`
and everything under it; `/#` any entity that has a scope). `;` is AND, `|` and `,` are OR
(AND binds tighter), parentheses group. An entity matches a scope expression when one of its
scopes does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cctwin.ngsi.entities import Entity
from cctwin.ngsi.problems import bad_data

ScopePredicate = Callable[[Sequence[str]], bool]
_TOKEN = re.compile(r"\s*(?:(?P<punct>[;|,()])|(?P<scope>[^\s;|,()]+))")
_LEVEL = re.compile(r"^[\w-]+$")


def _levels(scope: str) -> list[str]:
    return scope.strip("/").split("/") if scope.strip("/") else []


def _pattern(text: str) -> ScopePredicate:
    if not text.startswith("/"):
        raise bad_data(f"scopeQ: a scope starts with '/', not {text!r}")
    wanted = _levels(text)
    for position, level in enumerate(wanted):
        last = position == len(wanted) - 1
        if not (_LEVEL.match(level) or level == "+" or (level == "#" and last)):
            raise bad_data(f"scopeQ: bad level {level!r} in {text!r}")

    def one(scope: str) -> bool:
        have = _levels(scope)
        if wanted and wanted[-1] == "#":
            head = wanted[:-1]
            if len(have) < len(head):
                return False
            have = have[: len(head)]
            return all(w in ("+", h) for w, h in zip(head, have, strict=True))
        return len(have) == len(wanted) and all(
            w in ("+", h) for w, h in zip(wanted, have, strict=True)
        )

    return lambda scopes: any(one(s) for s in scopes)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = [m.group(m.lastgroup or "scope") for m in _TOKEN.finditer(text)]
        if "".join(self.tokens) != re.sub(r"\s+", "", text):
            raise bad_data(f"scopeQ: cannot read {text!r}")
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise bad_data("scopeQ ends too early")
        self.position += 1
        return token

    def any_of(self) -> ScopePredicate:
        parts = [self.all_of()]
        while self.peek() in ("|", ","):
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else lambda s: any(p(s) for p in parts)

    def all_of(self) -> ScopePredicate:
        parts = [self.term()]
        while self.peek() == ";":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else lambda s: all(p(s) for p in parts)

    def term(self) -> ScopePredicate:
        token = self.take()
        if token == "(":
            inner = self.any_of()
            if self.take() != ")":
                raise bad_data("scopeQ: missing ')'")
            return inner
        if token in (";", "|", ",", ")"):
            raise bad_data(f"scopeQ: unexpected {token!r}")
        return _pattern(token)


def parse_scopes(text: str) -> ScopePredicate:
    """A predicate over a list of scopes (an entity's, a registration's) for a `scopeQ`
    expression (BadRequestData if malformed); no scopes match nothing."""
    if not text.strip():
        raise bad_data("scopeQ is empty")
    parser = _Parser(text)
    predicate = parser.any_of()
    if parser.peek() is not None:
        raise bad_data(f"scopeQ: unexpected {parser.peek()!r}")
    return lambda scopes: bool(scopes) and predicate(scopes)


def parse_scope_q(text: str) -> Callable[[Entity], bool]:
    """A predicate over entities for a `scopeQ` expression (BadRequestData if malformed)."""
    predicate = parse_scopes(text)
    return lambda entity: predicate(entity.scope or [])
