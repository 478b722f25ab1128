"""Entity type selection (CIM 009 4.17): `A`, `A|B` or `A,B` (either), `A;B` (both), with
parentheses, as the `type` of a subscription's entity selectors."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.problems import bad_data

_TOKENS = re.compile(r"\s*([()|,;]|[^()|,;\s]+)")
Test = Callable[[Collection[str]], bool]


@dataclass(frozen=True)
class TypeSelection:
    """A type selection, names expanded: `names` are all the types it mentions."""

    names: frozenset[str]
    test: Test

    def __call__(self, types: Collection[str]) -> bool:
        return self.test(types)


def parse_types(text: str, terms: TermMap) -> TypeSelection:
    """A type or type selection expression (BadRequestData if it is malformed)."""
    tokens = [m.group(1) for m in _TOKENS.finditer(text)]
    if not tokens or "".join(tokens) != re.sub(r"\s+", "", text):
        raise bad_data(f"bad entity type selection {text!r}")
    parser = _Parser(tokens, terms)
    test = parser.either()
    if parser.at < len(tokens):
        raise bad_data(f"bad entity type selection {text!r}")
    return TypeSelection(frozenset(parser.names), test)


class _Parser:
    def __init__(self, tokens: list[str], terms: TermMap) -> None:
        self.tokens, self.terms, self.at = tokens, terms, 0
        self.names: set[str] = set()

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def either(self) -> Test:
        parts = [self.both()]
        while self._peek() in ("|", ","):
            self.at += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else (lambda t: any(p(t) for p in parts))

    def both(self) -> Test:
        parts = [self.one()]
        while self._peek() == ";":
            self.at += 1
            parts.append(self.one())
        return parts[0] if len(parts) == 1 else (lambda t: all(p(t) for p in parts))

    def one(self) -> Test:
        token = self._peek()
        if token is None or token in ("|", ",", ";", ")"):
            raise bad_data("bad entity type selection: a type name is missing")
        self.at += 1
        if token == "(":
            inner = self.either()
            if self._peek() != ")":
                raise bad_data("bad entity type selection: unbalanced '('")
            self.at += 1
            return inner
        name = self.terms.expand(token)
        self.names.add(name)
        return lambda t: name in t
