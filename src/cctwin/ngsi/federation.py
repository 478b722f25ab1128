"""Distributed retrieval (CIM 009 4.3.6, 5.7): entities of registered context sources.

A query or retrieval that is not `local=true` is also asked of every non-expired registration
that could supply it (discovery's matching) and serves the operation; each source gets the
same parameters with `local=true` (so two brokers registered with each other do not loop),
answers in normalized form and is merged by entity id: attributes this broker holds win,
the source's others are added. A source that fails or times out is logged and left out;
each registration shows how its requests went (status, timesSent, timesFailed...).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from cctwin.ngsi.broker import Broker, EntityQuery
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import Entity, iso, now, parse_entity
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found
from cctwin.ngsi.registration_query import RegistrationQuery
from cctwin.ngsi.registrations import Registration
from cctwin.ngsi.registry import Registry

log = logging.getLogger(__name__)
GROUPS = frozenset({"federationOps", "retrieveOps", "redirectionOps"})
# Parameters that shape the answer: the source answers normalized, this broker shapes it.
_SHAPING = frozenset({"limit", "offset", "count", "options", "format", "pick", "omit", "lang"})
DEFAULT_TIMEOUT_S = 3.0


class Federation:
    """Asks registered context sources for entities (query entities, retrieve entity)."""

    def __init__(self, registry: Registry, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.registry = registry
        self.timeout_s = timeout_s

    def sources(self, query: RegistrationQuery, operation: str) -> list[Registration]:
        """Registrations that could supply `query` and serve `operation`."""
        if not self.registry.registrations:
            return []
        serving = GROUPS | {operation}
        return [r for r in self.registry.query(query) if serving & set(r.body["operations"])]

    def query(
        self, query: EntityQuery, params: Mapping[str, str], link: str | None, terms: TermMap
    ) -> list[Entity]:
        """Entities the matching sources hold for a GET /entities query."""
        asked = RegistrationQuery(
            types=frozenset(query.types) if query.types else None,
            ids=frozenset(query.ids) if query.ids else None,
            id_pattern=query.id_pattern,
            attrs=query.attrs,
            open_ids=True,
        )
        found: list[Entity] = []
        for reg in self.sources(asked, "queryEntity"):
            answer = self._get(reg, "/ngsi-ld/v1/entities", params, link)
            if isinstance(answer, list):
                found.extend(self._entities(reg, answer, terms))
        return found

    def retrieve(
        self,
        entity_id: str,
        params: Mapping[str, str],
        link: str | None,
        terms: TermMap,
        types: Sequence[str] = (),
    ) -> list[Entity]:
        """The entity as each matching source holds it (GET /entities/{id}); `types`, when
        known here, narrows the sources asked."""
        kinds = frozenset(types) or None
        asked = RegistrationQuery(types=kinds, ids=frozenset({entity_id}), open_ids=True)
        found: list[Entity] = []
        for reg in self.sources(asked, "retrieveEntity"):
            path = f"/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}"
            answer = self._get(reg, path, params, link)
            if isinstance(answer, dict):
                found.extend(self._entities(reg, [answer], terms))
        return found

    def _get(
        self, reg: Registration, path: str, params: Mapping[str, str], link: str | None
    ) -> Any:
        sent = {k: v for k, v in params.items() if k not in _SHAPING} | {"local": "true"}
        headers = {"Accept": "application/json"}
        if link:
            headers["Link"] = link
        tenant = reg.body.get("tenant")
        if isinstance(tenant, str):
            headers["NGSILD-Tenant"] = tenant
        headers |= {p["key"]: p["value"] for p in reg.body.get("contextSourceInfo", [])}
        url = str(reg.body["endpoint"]).rstrip("/") + path
        try:
            response = httpx.get(url, params=sent, headers=headers, timeout=self._timeout(reg))
        except httpx.HTTPError as error:
            return _failed(reg, f"{url}: {error or type(error).__name__}")
        if response.status_code == 404:
            _succeeded(reg)  # an answer: it does not hold that
            return None
        if response.status_code != 200:
            return _failed(reg, f"{url} answered {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            return _failed(reg, f"{url} answered no JSON")
        _succeeded(reg)
        return answer

    def _timeout(self, reg: Registration) -> float:
        management = reg.body.get("management")
        if isinstance(management, Mapping) and "timeout" in management:
            return float(management["timeout"]) / 1000.0  # milliseconds (5.2.34)
        return self.timeout_s

    @staticmethod
    def _entities(reg: Registration, bodies: Sequence[Any], terms: TermMap) -> list[Entity]:
        out: list[Entity] = []
        for body in bodies:
            try:
                out.append(parse_entity(body, terms))
            except NgsiError as error:
                log.warning("context source %s sent an invalid entity: %s", reg.id, error)
        return out


def _succeeded(reg: Registration) -> None:
    # The CSourceRegistration's request statistics (5.2.9), as subscriptions keep theirs.
    stamp = iso(now())
    sent = int(reg.runtime.get("timesSent", 0)) + 1
    reg.runtime.update(status="ok", timesSent=sent, lastSuccess=stamp)


def _failed(reg: Registration, reason: str) -> None:
    log.warning("context source %s failed: %s", reg.id, reason)
    stamp = iso(now())
    sent = int(reg.runtime.get("timesSent", 0)) + 1
    failed = int(reg.runtime.get("timesFailed", 0)) + 1
    reg.runtime.update(status="failed", timesSent=sent, timesFailed=failed, lastFailure=stamp)


def merge(local: Sequence[Entity], remote: Sequence[Entity]) -> list[Entity]:
    """Local entities with the attributes (and types) sources add; sources' own entities
    after them; in id order."""
    merged = {e.id: e for e in local}
    for entity in remote:
        mine = merged.get(entity.id)
        if mine is None:
            merged[entity.id] = entity
            continue
        attrs = {**entity.attrs, **mine.attrs}
        types = list(dict.fromkeys([*mine.types, *entity.types]))
        merged[entity.id] = replace(mine, attrs=attrs, types=types)
    return sorted(merged.values(), key=lambda e: e.id)


def wants_sources(local: str | None, federation: Federation) -> bool:
    """Whether a request asks registered sources too: not with `local=true` (6.3.18)."""
    if local not in (None, "true", "false"):
        raise bad_data("local is true or false")
    return local != "true" and bool(federation.registry.registrations)


def retrieve_merged(
    broker: Broker,
    federation: Federation,
    entity_id: str,
    params: Mapping[str, str],
    link: str | None,
    terms: TermMap,
) -> Entity:
    """The entity here merged with what registered sources hold (404 if none has it)."""
    try:
        local = [broker.retrieve(entity_id)]
    except NgsiError as error:
        if error.problem is not Problem.RESOURCE_NOT_FOUND:
            raise
        local = []
    types = local[0].types if local else ()
    found = merge(local, federation.retrieve(entity_id, params, link, terms, types))
    if not found:
        raise not_found(f"no entity {entity_id}")
    return found[0]
