"""The NGSI-LD query language (`q`, CIM 009 clause 4.9) and geo-queries (clause 4.10).

`q` is parsed once into a small tree of predicates and evaluated against stored entities;
`;` is AND, `|` is OR (AND binds tighter), parentheses group. Geo-queries use shapely on a
local metric projection around the query geometry, enough for a district's distances.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely.geometry import shape  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped]

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import Entity, Json, attribute_value, check_geometry, parse_time
from cctwin.ngsi.problems import bad_data

Predicate = Callable[[Entity], bool]

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|>=|<=|>|<|!~=|~=|=~|!~)|(?P<punct>[;|()])"""
    r"""|(?P<word>[^\s;|()=!<>~"]+(?:"[^"]*"[^\s;|()=!<>~"]*)*))"""
)
_OPS = ("==", "!=", ">=", "<=", ">", "<", "~=", "!~=", "=~", "!~")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise bad_data(f"q: cannot read {text[position:]!r}")
        kind = match.lastgroup or "word"
        out.append(_Token(kind, match.group(kind)))
        position = match.end()
    return out


class _Parser:
    def __init__(self, text: str, terms: TermMap) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.terms = terms

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise bad_data("q ends too early")
        self.position += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.any_of()
        if self.peek() is not None:
            raise bad_data(f"q: unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return predicate

    def any_of(self) -> Predicate:
        parts = [self.all_of()]
        while (token := self.peek()) is not None and token.text == "|":
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else lambda e: any(p(e) for p in parts)

    def all_of(self) -> Predicate:
        parts = [self.term()]
        while (token := self.peek()) is not None and token.text == ";":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else lambda e: all(p(e) for p in parts)

    def term(self) -> Predicate:
        token = self.take()
        if token.text == "(":
            inner = self.any_of()
            if self.take().text != ")":
                raise bad_data("q: missing ')'")
            return inner
        if token.kind != "word":
            raise bad_data(f"q: expected an attribute, got {token.text!r}")
        path = _path(token.text, self.terms)
        following = self.peek()
        if following is None or following.kind != "op":
            return lambda e: any(v is not _MISSING for v in _resolve_all(e, path))
        op = self.take().text
        value = self.take()
        if value.kind not in ("word", "string"):
            raise bad_data(f"q: expected a value after {op}")
        following = self.peek()
        if value.kind == "string" and following and following.text.startswith(","):
            # A list that opens with a quoted string: "a","b" reads as a string then a word.
            value = _Token("word", value.text + self.take().text)
        return _comparison(path, op, value)


@dataclass(frozen=True)
class _Path:
    attr: str
    sub: tuple[str, ...]  # sub-attributes (a.b) or core members (a.observedAt)
    keys: tuple[str, ...]  # inside a compound value (a[b.c])


_CORE_SUB = frozenset({"observedAt", "createdAt", "modifiedAt", "unitCode", "datasetId"})


def _path(text: str, terms: TermMap) -> _Path:
    head, _, rest = text.partition("[")
    keys: tuple[str, ...] = ()
    if rest:
        if not rest.endswith("]"):
            raise bad_data(f"q: unbalanced '[' in {text!r}")
        keys = tuple(rest[:-1].split("."))
    if "{" in head or "}" in head:
        # 4.9 linked-entity paths (a{b}) need join, which this broker does not offer.
        raise bad_data(f"q: {text!r} queries a linked entity; join is not supported")
    # A full IRI contains dots and colons; only a plain name splits on '.'.
    names = [head] if "://" in head else head.split(".")
    if not all(names):
        raise bad_data(f"q: empty name in {text!r}")
    sub = tuple(n if n in _CORE_SUB else terms.expand(n) for n in names[1:])
    return _Path(terms.expand(names[0]), sub, keys)


_MISSING = object()


def _resolve_all(entity: Entity, path: _Path) -> list[Any]:
    """The value at `path` in each instance of the attribute (CIM 009 4.5.5: a multi-
    attribute matches when one of its instances, default or with a datasetId, does)."""
    return [_resolve(attr, path) for attr in entity.instances(path.attr)] or [_MISSING]


def _resolve(attr: Json, path: _Path) -> Any:
    current: Any = attr
    for name in path.sub:
        if not isinstance(current, Mapping) or name not in current:
            return _MISSING
        current = current[name]
    if isinstance(current, Mapping) and "type" in current:
        current = attribute_value(current)
    for key in path.keys:
        if not isinstance(current, Mapping) or key not in current:
            return _MISSING
        current = current[key]
    return current


def _literal(token: _Token) -> Any:
    if token.kind == "string":
        return json.loads(token.text)
    text = token.text
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


_LIST_ITEM = re.compile(r'"(?:[^"\\]|\\.)*"|[^,]+')


def _kind(item: str) -> str:
    return "string" if item.startswith('"') else "word"


def _comparison(path: _Path, op: str, token: _Token) -> Predicate:
    if op in ("~=", "=~", "!~=", "!~"):
        try:
            pattern = re.compile(str(_literal(token)))
        except re.error as error:
            raise bad_data(f"q: bad pattern: {error}") from error
        negate = op.startswith("!")

        def matches(entity: Entity) -> bool:
            return any(
                value is not _MISSING and (pattern.search(str(value)) is not None) != negate
                for value in _resolve_all(entity, path)
            )

        return matches
    text = token.text
    if token.kind == "word" and ".." in text and op in ("==", "!="):
        low, high = (_literal(_Token("word", t)) for t in text.split("..", 1))
        test: Callable[[Any], bool] = lambda v: _cmp(v, low) >= 0 and _cmp(v, high) <= 0  # noqa: E731
    elif token.kind == "word" and "," in text and op in ("==", "!="):
        options = [_literal(_Token(_kind(t), t)) for t in _LIST_ITEM.findall(text)]
        test = lambda v: any(_cmp(v, o) == 0 for o in options)  # noqa: E731
    else:
        literal = _literal(token)
        test = _OP_TESTS[op](literal)
    negate = op == "!="

    def compare(entity: Entity) -> bool:
        return any(_one(value) for value in _resolve_all(entity, path))

    def _one(value: Any) -> bool:
        if value is _MISSING:
            return False
        values = value if isinstance(value, list) else [value]
        hit = any(_safe(test, v) for v in values)
        return hit != negate

    return compare


def _safe(test: Callable[[Any], bool], value: Any) -> bool:
    try:
        return test(value)
    except TypeError:
        return False


def _cmp(value: Any, literal: Any) -> int:
    if isinstance(value, bool) or isinstance(literal, bool):
        if value == literal:
            return 0
        raise TypeError("booleans only compare for equality")
    if isinstance(value, (int, float)) and isinstance(literal, (int, float)):
        return (value > literal) - (value < literal)
    left, right = str(value), str(literal)
    if _DATETIME.match(left) and _DATETIME.match(right):
        # Times compare as instants: 10:00:00Z equals 10:00:00.000Z and 19:00:00+09:00.
        when, then = datetime.fromisoformat(left), datetime.fromisoformat(right)
        if (when.tzinfo is None) == (then.tzinfo is None):
            return (when > then) - (when < then)
    return (left > right) - (left < right)


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

_OP_TESTS: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "==": lambda lit: lambda v: _cmp(v, lit) == 0,
    "!=": lambda lit: lambda v: _cmp(v, lit) == 0,  # negated by the caller
    ">": lambda lit: lambda v: _cmp(v, lit) > 0,
    "<": lambda lit: lambda v: _cmp(v, lit) < 0,
    ">=": lambda lit: lambda v: _cmp(v, lit) >= 0,
    "<=": lambda lit: lambda v: _cmp(v, lit) <= 0,
}


def parse_q(text: str, terms: TermMap) -> Predicate:
    """A predicate over entities for a `q` expression (BadRequestData if it is malformed)."""
    if not text.strip():
        raise bad_data("q is empty")
    return _Parser(text, terms).parse()


# --- geo-queries -------------------------------------------------------------------------------

_GEORELS = frozenset({"near", "within", "contains", "intersects", "equals", "disjoint", "overlaps"})


@dataclass(frozen=True)
class GeoQuery:
    """georel + geometry + coordinates (+ geoproperty) of a query or subscription."""

    georel: str
    geometry: BaseGeometry
    property: str
    max_distance: float | None = None
    min_distance: float | None = None

    def __call__(self, entity: Entity) -> bool:
        attr = entity.attrs.get(self.property)
        if attr is None or attr.get("type") != "GeoProperty":
            return False
        try:
            other = shape(attr["value"])
        except Exception:
            return False
        if self.georel == "near":
            distance = _metres(self.geometry, other)
            if self.max_distance is not None and distance > self.max_distance:
                return False
            return self.min_distance is None or distance >= self.min_distance
        test: Callable[[BaseGeometry], bool] = getattr(other, self.georel)
        return bool(test(self.geometry))


def parse_geo(
    georel: str, geometry: str, coordinates: str | object, prop: str, terms: TermMap
) -> GeoQuery:
    """A geo-query from its request parameters (BadRequestData if any is malformed)."""
    name, _, modifier = georel.partition(";")
    if name not in _GEORELS:
        raise bad_data(f"unknown georel {georel!r}")
    try:
        points = json.loads(coordinates) if isinstance(coordinates, str) else coordinates
    except ValueError as error:
        raise bad_data(f"coordinates are not JSON: {error}") from error
    value = {"type": geometry, "coordinates": points}
    check_geometry(value, "geometry")
    query = GeoQuery(name, shape(value), terms.expand(prop))
    if name == "near":
        key, _, amount = modifier.partition("==")
        if key not in ("maxDistance", "minDistance"):
            raise bad_data("georel near needs ;maxDistance==M or ;minDistance==M")
        try:
            metres = float(amount)
        except ValueError as error:
            raise bad_data(f"bad distance {amount!r}") from error
        field = "max_distance" if key == "maxDistance" else "min_distance"
        query = GeoQuery(name, query.geometry, query.property, **{field: metres})
    return query


def _metres(a: BaseGeometry, b: BaseGeometry) -> float:
    # Equirectangular projection around a's centroid: metre accuracy at district scale.
    origin = a.centroid
    scale = np.array([111_320.0 * math.cos(math.radians(origin.y)), 111_320.0])
    shift = np.array([origin.x, origin.y])

    def project(coords: Any) -> Any:
        return (coords - shift) * scale

    return float(shapely.transform(a, project).distance(shapely.transform(b, project)))


def check_time(text: str, what: str) -> None:
    parse_time(text, what)


def q_names(text: str, terms: TermMap) -> frozenset[str]:
    """The (expanded) attribute names a `q` expression tests, e.g. to know which attributes
    a context source must supply (discovery, 5.10.2); BadRequestData if it is malformed."""
    parse_q(text, terms)
    names: set[str] = set()
    previous: _Token | None = None
    for token in _tokens(text):
        # An attribute path opens the expression or follows '(', ';' or '|'.
        if token.kind == "word" and (previous is None or previous.kind == "punct"):
            names.add(_path(token.text, terms).attr)
        previous = token
    return frozenset(names)


def parse_geo_body(geo: object, terms: TermMap) -> GeoQuery | None:
    """A `geoQ` member (a query body's or a subscription's) as a GeoQuery; None when absent."""
    if geo is None:
        return None
    if not isinstance(geo, Mapping):
        raise bad_data("geoQ must be an object")
    return parse_geo(
        str(geo.get("georel", "")),
        str(geo.get("geometry", "")),
        geo.get("coordinates"),
        str(geo.get("geoproperty", "location")),
        terms,
    )
