"""Distributed provision (CIM 009 4.3.6.2-4.3.6.4): which part of a write goes to which source.

A write on one entity is split by the registrations that cover it (its id or type, and the
attributes) and serve the operation (4.20: the operation's name or a group holding it):
`redirect` gets the part it covers and none of it stays here, `exclusive` gets its registered
attributes and the rest stays here, `inclusive` gets a copy while this broker writes it too,
`auxiliary` never gets a write. What an exclusive or redirect registration covers is not
written here even when it does not serve the operation (clause 5.6: the attributes "are
removed from the fragment and not processed further"): that part is refused (409). A
forwarded request carries this broker in `Via`, and a source already in `Via` is not asked
again (6.3.18).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from cctwin.config.federation import FederationConfig
from cctwin.ngsi.problems import ERRORS, Problem
from cctwin.ngsi.registrations import Registration, Selector
from cctwin.ngsi.registry import Registry
from cctwin.ngsi.source_info import accept, payload, source_info
from cctwin.ngsi.source_stats import failed, succeeded
from cctwin.ngsi.via import HEADER as VIA
from cctwin.ngsi.via import extended, own_name, visited

log = logging.getLogger(__name__)

_RETRIEVE = frozenset({"retrieveEntity", "queryEntity", "queryBatch"})
_TEMPORAL = frozenset(
    {"upsertTemporal", "appendAttrsTemporal", "deleteAttrsTemporal", "updateAttrsTemporal",
     "deleteAttrInstanceTemporal", "deleteTemporal", "retrieveTemporal", "queryTemporal"}
)  # fmt: skip
# Operation groups (CIM 009 V1.8.1 4.20): the write operations each group stands for.
GROUPS: Mapping[str, frozenset[str]] = {
    "updateOps": frozenset({"updateEntity", "updateAttrs", "replaceEntity", "replaceAttrs"}),
    "redirectionOps": frozenset(
        {"createEntity", "updateEntity", "appendAttrs", "updateAttrs", "deleteAttrs",
         "deleteEntity", "mergeEntity", "replaceEntity", "replaceAttrs", "createBatch",
         "upsertBatch", "updateBatch", "deleteBatch", "mergeBatch", "purgeEntity"}
    ) | _RETRIEVE | _TEMPORAL,
    "retrieveOps": _RETRIEVE,
}  # fmt: skip


def serves(reg: Registration, operation: str) -> bool:
    """Whether the registration's `operations` include `operation` (by name or group)."""
    names = reg.body.get("operations", [])
    return operation in names or any(operation in GROUPS.get(str(g), ()) for g in names)


@dataclass(frozen=True)
class Share:
    """What one registered source gets of a write: these attributes (None: all of it)."""

    reg: Registration
    attrs: frozenset[str] | None


@dataclass(frozen=True)
class Split:
    """A write on one entity divided between this broker and registered sources."""

    shares: tuple[Share, ...] = ()
    # Parts that belong to exclusive/redirect sources not serving the operation: done nowhere.
    refused: tuple[Share, ...] = ()
    local: bool = True  # whether this broker does its part
    kept: frozenset[str] | None = None  # the attributes written here (None: all asked)


@dataclass(frozen=True)
class Outbound:
    """A request to send to a source, its path under the source's endpoint."""

    method: str
    path: str
    body: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How a source answered a forwarded request."""

    share: Share
    status: int  # 0: no answer
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.status != 207

    def problem(self) -> dict[str, Any]:
        """The failure as problem details: the source's own, or one describing it."""
        if isinstance(self.body, dict) and "type" in self.body and "status" in self.body:
            return dict(self.body)
        if self.status == 0:
            detail = f"context source {self.share.reg.id} did not answer: {self.body}"
            return _problem(Problem.INTERNAL_ERROR.value, 504, detail)
        detail = f"context source {self.share.reg.id} answered {self.status}"
        title = _TITLES.get(self.status, Problem.INTERNAL_ERROR.value)
        return _problem(title, self.status, detail)


def refusal(share: Share, operation: str) -> Outcome:
    """The outcome of a part no source takes: its registration does not serve `operation`."""
    detail = (
        f"{share.reg.mode} registration {share.reg.id} covers this but does not serve {operation}"
    )
    return Outcome(share, 409, _problem(Problem.CONFLICT.value, 409, detail))


# A source's error without problem details, named by its status.
_TITLES = {
    207: "MultiStatus",
    400: Problem.BAD_REQUEST_DATA.value,
    404: Problem.RESOURCE_NOT_FOUND.value,
    409: Problem.ALREADY_EXISTS.value,
    422: Problem.OPERATION_NOT_SUPPORTED.value,
    508: Problem.LOOP_DETECTED.value,
}


def _problem(title: str, status: int, detail: str) -> dict[str, Any]:
    return {"type": ERRORS + title, "title": title, "status": status, "detail": detail}


class Forwarder:
    """Splits writes by registration and sends the parts to their sources."""

    def __init__(self, registry: Registry, config: FederationConfig) -> None:
        self.registry = registry
        self.config = config
        self.name = own_name(config)
        self._http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        # One client, made on first use: its connection pool and TLS context serve every
        # request to the sources (a client per request cost ~20 ms each).
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    def active(self) -> bool:
        return bool(self.registry.registrations)

    def split(
        self,
        entity_id: str,
        types: Sequence[str] | None,
        attrs: frozenset[str] | None,
        operation: str,
        via: str | None,
    ) -> Split:
        """Who writes what of `attrs` (None: the whole entity) of the entity."""
        shares: list[Share] = []
        refused: list[Share] = []
        taken: set[str] = set()
        gone = False
        for reg in sorted(self.registry.registrations.values(), key=lambda r: r.id):
            if reg.expired or reg.mode == "auxiliary":
                continue
            serving = serves(reg, operation)
            if (not serving and reg.mode == "inclusive") or visited(via, str(reg.body["endpoint"])):
                continue
            cover = coverage(reg, entity_id, types)
            if cover is None:
                continue
            if cover.attrs is None or attrs is None:
                part = attrs
            else:
                part = attrs & cover.attrs
                if not part:
                    continue
            (shares if serving else refused).append(Share(reg, part))
            if reg.mode == "redirect" and cover.attrs is None:
                gone = True
            elif reg.mode in ("redirect", "exclusive") and part is not None:
                taken |= part
        kept = None if attrs is None else attrs - taken
        local = not gone and (kept is None or bool(kept) or not taken)
        return Split(tuple(shares), tuple(refused), local, kept)

    def send(self, share: Share, request: Outbound, via: str | None) -> Outcome:
        """Send `request` to the share's source, with this broker added to Via."""
        reg = share.reg
        shaped = payload(reg, request.body, request.headers, self.registry.contexts)
        headers = {"Accept": accept(reg), **shaped.headers}
        headers[VIA] = extended(via, self.name)
        tenant = reg.body.get("tenant")
        if isinstance(tenant, str):
            headers["NGSILD-Tenant"] = tenant
        headers |= source_info(reg, {})
        url = str(reg.body["endpoint"]).rstrip("/") + request.path
        try:
            response = self.http.request(
                request.method,
                url,
                params=dict(request.params),
                json=shaped.body,
                headers=headers,
                timeout=self._timeout(reg),
            )
        except httpx.HTTPError as error:
            failed(reg, f"{url}: {error or type(error).__name__}")
            return Outcome(share, 0, str(error) or type(error).__name__)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        outcome = Outcome(share, response.status_code, body)
        if outcome.ok:
            succeeded(reg)
        else:
            failed(reg, f"{request.method} {url} answered {response.status_code}")
        return outcome

    def _timeout(self, reg: Registration) -> float:
        management = reg.body.get("management")
        if isinstance(management, Mapping) and "timeout" in management:
            return float(management["timeout"]) / 1000.0  # milliseconds (5.2.34)
        return self.config.timeout_s


@dataclass(frozen=True)
class Cover:
    """The attributes of an entity a registration registers (None: all of them)."""

    attrs: frozenset[str] | None


def coverage(reg: Registration, entity_id: str, types: Sequence[str] | None) -> Cover | None:
    """What of the entity `reg` registers; None if it does not cover the entity. Unknown
    `types` (an entity not held here) match any type."""
    found: set[str] = set()
    hit = False
    for info in reg.infos:
        if info.entities is not None and not any(
            _selects(s, entity_id, types) for s in info.entities
        ):
            continue
        if info.attrs is None:
            return Cover(None)
        hit = True
        found |= info.attrs
    return Cover(frozenset(found)) if hit else None


def _selects(selector: Selector, entity_id: str, types: Sequence[str] | None) -> bool:
    if types is not None and selector.type not in types:
        return False
    if selector.id is not None:
        return selector.id == entity_id
    return selector.pattern is None or selector.pattern.search(entity_id) is not None
