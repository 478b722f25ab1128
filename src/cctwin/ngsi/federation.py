"""Distributed retrieval (CIM 009 4.3.6, 5.7): entities of registered context sources.

A query or retrieval that is not `local=true` is also asked of every non-expired registration
that could supply it (discovery's matching) and serves the operation; each source gets the
same parameters with `local=true` and this broker in `Via` (a source already in `Via` is not
asked, 6.3.18), answers in normalized form and is merged by entity id. The registration's mode
decides who wins an attribute (4.3.6.2-4.3.6.4): `exclusive` and `redirect` sources hold the
attributes they register, so theirs replace any here; for `inclusive` ones this broker's
attributes win and the source's others are added; `auxiliary` sources only fill in attributes
nobody else (here or another source) has (D010_01_aux). A source that fails or times out is logged and left
out; each registration shows how its requests went (status, timesSent, timesFailed...).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from cctwin.config.federation import FederationConfig
from cctwin.ngsi.broker import Broker, EntityQuery
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import Entity, parse_entity
from cctwin.ngsi.forwarding import coverage
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found
from cctwin.ngsi.query import Predicate, parse_q
from cctwin.ngsi.registration_query import RegistrationQuery
from cctwin.ngsi.registrations import Registration
from cctwin.ngsi.registry import Registry
from cctwin.ngsi.source_info import accept, source_info
from cctwin.ngsi.source_stats import failed, succeeded
from cctwin.ngsi.via import HEADER as VIA
from cctwin.ngsi.via import extended, own_name, visited

log = logging.getLogger(__name__)
GROUPS = frozenset({"federationOps", "retrieveOps", "redirectionOps"})
# Parameters that shape the answer: the source answers normalized, this broker shapes it.
LD_JSON = "application/ld+json"
_SHAPING = frozenset({"limit", "offset", "count", "options", "format", "pick", "omit", "lang"})
_PAGING = frozenset({"limit", "offset", "count"})
# What a split-entities query keeps to itself (5.7.2.4): the filters on attributes.
_FILTERS = frozenset(
    {"q", "scopeQ", "attrs", "georel", "geometry", "coordinates", "geoproperty", "splitEntities"}
)
# Merge order: a later rank overrides an earlier one's attributes.
_RANK = {"auxiliary": 0, "inclusive": 1, "exclusive": 3, "redirect": 3}
_LOCAL_RANK = 2
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # the most of a source's answer read (6.3.17)


@dataclass(frozen=True)
class Supplied:
    """An entity as one registered source holds it, with that registration's mode."""

    entity: Entity
    mode: str


@dataclass(frozen=True)
class SuppliedBody:
    """A temporal entity (its JSON representation) as one registered source answered it."""

    body: dict[str, Any]
    mode: str
    owned: frozenset[str] | None = None  # exclusive/redirect: its registered attributes


@dataclass(frozen=True)
class Asked:
    """One distributed read: the request's parameters, Link and Via headers, and @context."""

    params: Mapping[str, str]
    link: str | None
    via: str | None
    terms: TermMap
    # The triggering request's headers (contextSourceInfo's urn:ngsi-ld:request, 4.3.6.5).
    headers: Mapping[str, str] = field(default_factory=dict)
    # NGSILD-Warning values (6.3.17) of the sources that answered abnormally.
    warnings: list[str] = field(default_factory=list)

    def warn(self, code: int, url: str, text: str) -> None:
        """Record an abnormal answer: 299 an error status, 111 an invalid payload, 199 no
        answer in time. The warn-agent is the source's host (RFC 7234 5.5)."""
        agent = urlsplit(url).netloc or "-"
        self.warnings.append(f'{code} {agent} "{text.replace(chr(34), chr(39))}"')

    def warning_headers(self) -> dict[str, str]:
        return {WARNING: ", ".join(self.warnings)} if self.warnings else {}


WARNING = "NGSILD-Warning"


def _csf(asked: Asked) -> Predicate | None:
    """The request's csf (4.9), a query on registrations' own properties: only the sources
    whose registration matches it are asked (5.7.2.4)."""
    csf = asked.params.get("csf")
    return parse_q(csf, asked.terms) if csf is not None else None


class Federation:
    """Asks registered context sources for entities (query entities, retrieve entity)."""

    def __init__(self, registry: Registry, config: FederationConfig | None = None) -> None:
        self.registry = registry
        self.config = config or FederationConfig()
        self.name = own_name(self.config)
        self._http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        # One client, made on first use: its connection pool and TLS context serve every
        # request to the sources (a client per request cost ~20 ms each).
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    def sources(
        self, query: RegistrationQuery, operation: str, via: str | None = None
    ) -> list[Registration]:
        """Registrations that could supply `query`, serve `operation` and are not in `via`."""
        if not self.registry.registrations:
            return []
        serving = GROUPS | {operation}
        return [
            r
            for r in self.registry.query(query)
            if serving & set(r.body["operations"]) and not visited(via, str(r.body["endpoint"]))
        ]

    def query(self, query: EntityQuery, asked: Asked) -> list[Supplied]:
        """Entities the matching sources hold for a GET /entities query."""
        wanted = RegistrationQuery(
            types=frozenset(query.types) if query.types else None,
            ids=frozenset(query.ids) if query.ids else None,
            id_pattern=query.id_pattern,
            attrs=query.attrs,
            open_ids=True,
            csf=_csf(asked),
        )

        def ask(reg: Registration) -> list[Any]:
            answer = self._get(reg, "/ngsi-ld/v1/entities", asked)
            return _shaped(reg, answer, list, asked)

        return self._gather(self.sources(wanted, "queryEntity", asked.via), ask, asked)

    def query_batch(
        self, query: EntityQuery, body: Mapping[str, Any], asked: Asked
    ) -> list[Supplied]:
        """Entities the matching sources hold for a POST /entityOperations/query (queryBatch):
        each gets the same Query body."""
        wanted = RegistrationQuery(
            types=frozenset(query.types) if query.types else None,
            ids=frozenset(query.ids) if query.ids else None,
            id_pattern=query.id_pattern,
            attrs=query.attrs,
            open_ids=True,
        )

        def ask(reg: Registration) -> list[Any]:
            answer = self._request(reg, "POST", "/ngsi-ld/v1/entityOperations/query", asked, body)
            return answer if isinstance(answer, list) else []

        return self._gather(self.sources(wanted, "queryBatch", asked.via), ask, asked)

    def temporal(
        self, path: str, wanted: RegistrationQuery, operation: str, asked: Asked
    ) -> list[SuppliedBody]:
        """Temporal entities the matching sources hold (GET /temporal/entities[/{id}]): they
        are asked with the request's shape (temporalValues, aggregation...) but no page."""
        found: list[SuppliedBody] = []
        for reg in self.sources(wanted, operation, asked.via):
            answer = self._request(reg, "GET", path, asked, shaped=True)
            items = answer if isinstance(answer, list) else [answer]
            for b in items:
                if isinstance(b, dict) and isinstance(b.get("id"), str):
                    found.append(SuppliedBody(b, reg.mode, _owned(reg, b, asked.terms)))
        return found

    def retrieve(self, entity_id: str, asked: Asked, types: Sequence[str] = ()) -> list[Supplied]:
        """The entity as each matching source holds it (GET /entities/{id}); `types`, when
        known here, narrows the sources asked."""
        kinds = frozenset(types) or None
        wanted = RegistrationQuery(types=kinds, ids=frozenset({entity_id}), open_ids=True)
        path = f"/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}"

        def ask(reg: Registration) -> list[Any]:
            # 4.3.6.1: the request respects the registration: only the attributes it covers.
            cover = coverage(reg, entity_id, list(types) or None)
            narrow = None if cover is None else cover.attrs
            answer = self._request(reg, "GET", path, asked, narrow=narrow)
            return _shaped(reg, answer, dict, asked)

        regs = self.sources(wanted, "retrieveEntity", asked.via)
        return self._gather(regs, ask, asked)

    def _gather(
        self, regs: Sequence[Registration], ask: Callable[[Registration], list[Any]], asked: Asked
    ) -> list[Supplied]:
        found: list[Supplied] = []
        for reg in regs:
            for entity in self._entities(reg, ask(reg), asked):
                found.extend(_supplied(reg, entity))
        return found

    def _get(self, reg: Registration, path: str, asked: Asked) -> Any:
        return self._request(reg, "GET", path, asked)

    def _request(
        self,
        reg: Registration,
        method: str,
        path: str,
        asked: Asked,
        body: Any = None,
        shaped: bool = False,
        narrow: frozenset[str] | None = None,
    ) -> Any:
        dropped = _PAGING if shaped else _SHAPING
        if asked.params.get("splitEntities") == "true":
            dropped = dropped | _FILTERS
        sent = {k: v for k, v in asked.params.items() if k not in dropped} | {"local": "true"}
        if narrow is not None:
            names = _narrowed(narrow, sent.get("attrs"), asked.terms)
            if not names:
                return None  # it registers none of the attributes asked for
            sent["attrs"] = ",".join(names)
        headers = {"Accept": accept(reg), VIA: extended(asked.via, self.name)}
        if asked.link:
            headers["Link"] = asked.link
        if isinstance(body, Mapping):  # a JSON-LD body carries its @context (6.3.4)
            headers["Content-Type"] = LD_JSON if "@context" in body else "application/json"
        tenant = reg.body.get("tenant")
        if isinstance(tenant, str):
            headers["NGSILD-Tenant"] = tenant
        headers |= source_info(reg, asked.headers)
        url = str(reg.body["endpoint"]).rstrip("/") + path
        content = None if body is None else json.dumps(body)
        try:
            with self.http.stream(
                method,
                url,
                params=sent,
                content=content,
                headers=headers,
                timeout=self._timeout(reg),
            ) as response:
                raw = _bounded(response)
        except httpx.HTTPError as error:
            asked.warn(199, url, f"no answer from {reg.id}")
            return failed(reg, f"{url}: {error or type(error).__name__}")
        if raw is None:
            asked.warn(111, url, f"{reg.id} answered more than {MAX_ANSWER_BYTES} bytes")
            return failed(reg, f"{url} answered more than {MAX_ANSWER_BYTES} bytes")
        if response.status_code == 404:
            succeeded(reg)  # an answer: it does not hold that (not abnormal, 6.3.17)
            return None
        if response.status_code != 200:
            asked.warn(299, url, f"{reg.id} answered {response.status_code}")
            return failed(reg, f"{url} answered {response.status_code}")
        try:
            answer = json.loads(raw)
        except ValueError:
            asked.warn(111, url, f"{reg.id} answered no JSON")
            return failed(reg, f"{url} answered no JSON")
        succeeded(reg)
        return answer

    def _timeout(self, reg: Registration) -> float:
        management = reg.body.get("management")
        if isinstance(management, Mapping) and "timeout" in management:
            return float(management["timeout"]) / 1000.0  # milliseconds (5.2.34)
        return self.config.timeout_s

    def _entities(self, reg: Registration, bodies: Sequence[Any], asked: Asked) -> list[Entity]:
        out: list[Entity] = []
        for body in bodies:
            try:
                # A JSON-LD answer (contextSourceInfo accept) names its own @context.
                terms = asked.terms
                if isinstance(body, dict) and "@context" in body:
                    terms = self.registry.contexts.terms(body["@context"])
                    body = {k: v for k, v in body.items() if k != "@context"}
                out.append(parse_entity(body, terms))
            except NgsiError as error:
                # 6.3.17: an invalid payload is left out of the answer, with a warning.
                asked.warn(111, str(reg.body["endpoint"]), f"{reg.id} sent an invalid entity")
                log.warning("context source %s sent an invalid entity: %s", reg.id, error)
        return out


def _narrowed(registered: frozenset[str], asked: str | None, terms: TermMap) -> list[str]:
    """The attributes to ask a source for: those it registers (and the request names)."""
    names = set(registered)
    if asked is not None:
        names &= {terms.expand(a) for a in asked.split(",") if a}
    return sorted(terms.compact(n) for n in names)


def _bounded(response: httpx.Response) -> bytes | None:
    """The body of a source's answer, read up to MAX_ANSWER_BYTES (None past them: such an
    answer is refused as an invalid payload, 6.3.17, before it fills the memory)."""
    raw = bytearray()
    for chunk in response.iter_bytes():
        raw += chunk
        if len(raw) > MAX_ANSWER_BYTES:
            return None
    return bytes(raw)


def _shaped(reg: Registration, answer: Any, kind: type, asked: Asked) -> list[Any]:
    """A source's answer as a list of entity bodies; an answer of another shape (a list for
    a retrieval, an object for a query) is an invalid payload (111, 6.3.17), left out."""
    if answer is None:
        return []
    if not isinstance(answer, kind):
        asked.warn(111, str(reg.body["endpoint"]), f"{reg.id} answered no {kind.__name__}")
        return []
    return answer if isinstance(answer, list) else [answer]


def _supplied(reg: Registration, entity: Entity) -> list[Supplied]:
    """An exclusive or redirect source owns the attributes it registers for the entity; any
    others it sends count as an inclusive source's."""
    if reg.mode not in ("exclusive", "redirect"):
        return [Supplied(entity, reg.mode)]
    cover = coverage(reg, entity.id, entity.types)
    owned = None if cover is None else cover.attrs
    if owned is None:
        return [Supplied(entity, reg.mode)]
    mine = {k: v for k, v in entity.attrs.items() if k in owned}
    rest = {k: v for k, v in entity.attrs.items() if k not in owned}
    return [
        Supplied(replace(entity, attrs=rest), "inclusive"),
        Supplied(replace(entity, attrs=mine), reg.mode),
    ]


def merge(local: Sequence[Entity], remote: Sequence[Supplied]) -> list[Entity]:
    """Entities here and from sources merged by id, in id order: per attribute the highest
    rank wins (exclusive/redirect sources, then this broker, then inclusive, then auxiliary)."""
    ranked = sorted(
        [*((_LOCAL_RANK, e) for e in local), *((_RANK.get(s.mode, 1), s.entity) for s in remote)],
        key=lambda pair: pair[0],
    )
    merged: dict[str, Entity] = {}
    for _, entity in ranked:
        mine = merged.get(entity.id)
        if mine is None:
            merged[entity.id] = entity
            continue
        types = list(dict.fromkeys([*mine.types, *entity.types]))
        merged[entity.id] = replace(mine, attrs={**mine.attrs, **entity.attrs}, types=types)
    return sorted(merged.values(), key=lambda e: e.id)


def splitting(raw: str | None) -> bool:
    """splitEntities (V1.9 5.7.2.4): whether an entity may be split over sources, so that
    filters go to no source and apply to the merged entities instead (default: no)."""
    if raw not in (None, "true", "false"):
        raise bad_data("splitEntities is true or false")
    return raw == "true"


def unfiltered(query: EntityQuery) -> EntityQuery:
    """The query without its filters on attributes (q, geo-query, scopeQ, attrs), when it
    still names types or ids to look in."""
    if not (query.types or query.ids or query.id_pattern):
        return query
    return replace(query, q=None, geo=None, scope=None, attrs=None)


def wants_sources(local: str | None, federation: Federation) -> bool:
    """Whether a request asks registered sources too: not with `local=true` (6.3.18)."""
    if local not in (None, "true", "false"):
        raise bad_data("local is true or false")
    return local != "true" and bool(federation.registry.registrations)


def retrieve_merged(broker: Broker, federation: Federation, entity_id: str, asked: Asked) -> Entity:
    """The entity here merged with what registered sources hold (404 if none has it)."""
    try:
        local = [broker.retrieve(entity_id)]
    except NgsiError as error:
        if error.problem is not Problem.RESOURCE_NOT_FOUND:
            raise
        local = []
    types = local[0].types if local else ()
    found = merge(local, federation.retrieve(entity_id, asked, types))
    if not found:
        raise not_found(f"no entity {entity_id}")
    return found[0]


def merge_bodies(
    local: Sequence[dict[str, Any]], remote: Sequence[SuppliedBody], terms: TermMap
) -> list[dict[str, Any]]:
    """Temporal entities merged by id as `merge` does entities: per attribute the highest
    rank wins; an exclusive or redirect source's rank holds for the attributes it registers."""
    ranked: list[tuple[int, dict[str, Any]]] = [(_LOCAL_RANK, b) for b in local]
    for supplied in remote:
        body, mode, owned = supplied.body, supplied.mode, supplied.owned
        if owned is None:
            ranked.append((_RANK.get(mode, 1), body))
            continue
        mine = {k: v for k, v in body.items() if k in _KEYS or terms.expand(k) in owned}
        rest = {k: v for k, v in body.items() if k in _KEYS or terms.expand(k) not in owned}
        ranked += [(_RANK["inclusive"], rest), (_RANK[mode], mine)]
    merged: dict[str, dict[str, Any]] = {}
    for _, body in sorted(ranked, key=lambda pair: pair[0]):
        entity_id = str(body["id"])
        merged[entity_id] = {**merged.get(entity_id, {}), **body}
    return [merged[i] for i in sorted(merged)]


_KEYS = frozenset({"id", "type", "@context"})


def _owned(reg: Registration, body: dict[str, Any], terms: TermMap) -> frozenset[str] | None:
    """The attributes an exclusive or redirect registration owns of a body (None: all, or
    not such a registration)."""
    if reg.mode not in ("exclusive", "redirect"):
        return None
    raw = body.get("type")
    types = [terms.expand(str(t)) for t in (raw if isinstance(raw, list) else [raw]) if t]
    cover = coverage(reg, str(body["id"]), types or None)
    return None if cover is None else cover.attrs
