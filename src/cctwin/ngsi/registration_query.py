"""Discovery (CIM 009 5.10.2): which context source registrations could supply what is asked.

A registration matches when one of its RegistrationInfo could provide entities of the asked
types / ids and at least one asked attribute (names in `attrs` and in `q`); a RegistrationInfo
without entities serves any entity, one without attribute names any attribute. Asked ids
match a registered entity id or id pattern (a type alone does not promise an id), or the
registration's own id. `csf` and the geo-query test the registration's own properties and
geometries, `scopeQ` its scope, a temporal query (`timerel`, `timeAt`, `endTimeAt`) its
`observationInterval` (`timeproperty` observedAt, the default) or `managementInterval`
(createdAt, modifiedAt). Expired ones never match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import parse_time
from cctwin.ngsi.problems import bad_data
from cctwin.ngsi.query import GeoQuery, Predicate, parse_geo, parse_q, q_names
from cctwin.ngsi.registrations import Info, Registration, Selector
from cctwin.ngsi.scopes import ScopePredicate, parse_scopes

_INTERVALS = {
    "observedAt": "observationInterval",
    "createdAt": "managementInterval",
    "modifiedAt": "managementInterval",
}


@dataclass(frozen=True)
class TemporalFilter:
    """A temporal query over one of a registration's TimeIntervals."""

    interval: str  # observationInterval or managementInterval
    rel: str
    at: datetime
    end: datetime | None = None

    def __call__(self, reg: Registration) -> bool:
        interval = reg.body.get(self.interval)
        if not isinstance(interval, Mapping):
            return False  # says nothing about that time: not a match
        start = parse_time(interval["startAt"], "startAt")
        stop = parse_time(interval["endAt"], "endAt") if "endAt" in interval else None
        if self.rel == "before":
            return start < self.at
        if self.rel == "after":
            return stop is None or stop > self.at
        assert self.end is not None
        return start < self.end and (stop is None or stop > self.at)


def parse_temporal(params: Mapping[str, Any]) -> TemporalFilter | None:
    """timerel, timeAt, endTimeAt and timeproperty of a request or a temporalQ object."""
    rel = params.get("timerel")
    if rel is None and params.get("timeAt") is None:
        return None
    if rel not in ("before", "after", "between"):
        raise bad_data("timerel is before, after or between")
    at = parse_time(params.get("timeAt"), "timeAt")
    end = parse_time(params.get("endTimeAt"), "endTimeAt") if rel == "between" else None
    if end is not None and end <= at:
        raise bad_data("endTimeAt must be after timeAt")
    prop = params.get("timeproperty") or "observedAt"
    if prop not in _INTERVALS:
        raise bad_data(f"timeproperty is one of {', '.join(_INTERVALS)}")
    return TemporalFilter(_INTERVALS[prop], rel, at, end)


@dataclass(frozen=True)
class RegistrationQuery:
    """What a discovery request (or a registration subscription) asks for, names expanded."""

    types: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    id_pattern: re.Pattern[str] | None = None
    attrs: frozenset[str] | None = None
    csf: Predicate | None = None
    geo: GeoQuery | None = None
    scope: ScopePredicate | None = None
    temporal: TemporalFilter | None = None
    # Whether a registration of a whole type may hold any asked id: true when asking sources
    # for an entity (federation), false in discovery, which lists promises of those ids.
    open_ids: bool = False

    def matches(self, reg: Registration) -> bool:
        if reg.expired:
            return False
        if self.csf is not None and not self.csf(reg.props):
            return False
        if self.scope is not None and not self.scope(reg.scopes):
            return False
        if self.temporal is not None and not self.temporal(reg):
            return False
        if self.geo is not None and not self.geo(reg.props):
            return False
        if self.ids is not None and reg.id in self.ids:
            return True  # asked for by its own id
        return any(self._supplies(info) for info in reg.infos)

    def _supplies(self, info: Info) -> bool:
        if self.attrs is not None and info.attrs is not None and not (self.attrs & info.attrs):
            return False
        if info.entities is None:
            return True
        return any(self._selects(s) for s in info.entities)

    def _selects(self, selector: Selector) -> bool:
        if self.types is not None and selector.type not in self.types:
            return False
        if self.ids is not None:
            # Only a registered id or id pattern says the source holds an entity of that id.
            if selector.id is not None:
                return selector.id in self.ids
            pattern = selector.pattern
            if pattern is None:
                return self.open_ids
            return any(pattern.search(i) for i in self.ids)
        if self.id_pattern is not None and selector.id is not None:
            return self.id_pattern.search(selector.id) is not None
        # Two id patterns may describe overlapping ids: the source may have some.
        return True


def parse_registration_query(params: Mapping[str, str], terms: TermMap) -> RegistrationQuery:
    """A discovery query from the request parameters (BadRequestData if malformed)."""
    types = params.get("type")
    ids = params.get("id")
    pattern = params.get("idPattern")
    attrs = params.get("attrs")
    q = params.get("q")
    csf = params.get("csf")
    geo = _geo(params, terms)
    scope = params.get("scopeQ")
    temporal = parse_temporal(params)
    if not any((types, ids, pattern, attrs, q, csf, geo, scope, temporal)):
        raise bad_data("discovery needs type, attrs, id, idPattern, q, csf, scopeQ or geo/time")
    try:
        compiled = re.compile(pattern) if pattern else None
    except re.error as error:
        raise bad_data(f"bad idPattern: {error}") from error
    names = {terms.expand(a) for a in attrs.split(",") if a} if attrs else set()
    if q is not None:
        names |= q_names(q, terms)
    return RegistrationQuery(
        types=frozenset(terms.expand(t) for t in re.split(r"[,|]", types) if t) if types else None,
        ids=frozenset(i for i in ids.split(",") if i) if ids else None,
        id_pattern=compiled,
        attrs=frozenset(names) if names else None,
        csf=parse_q(csf, terms) if csf is not None else None,
        geo=geo,
        scope=parse_scopes(scope) if scope is not None else None,
        temporal=temporal,
    )


def _geo(params: Mapping[str, str], terms: TermMap) -> GeoQuery | None:
    georel = params.get("georel")
    geometry = params.get("geometry")
    coordinates = params.get("coordinates")
    if not (georel or geometry or coordinates):
        return None
    if not (georel and geometry and coordinates):
        raise bad_data("a geo-query needs georel, geometry and coordinates")
    prop = params.get("geoproperty") or "location"
    return parse_geo(georel, geometry, coordinates, prop, terms)
