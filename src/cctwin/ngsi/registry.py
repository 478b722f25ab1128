"""The context source registry (CIM 009 5.9, 5.10): registrations kept, checked and discovered.

Registrations live in memory (a district has few) and in the store; every change is passed
to listeners (the registration subscriptions) as a before/after pair.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cctwin.ngsi.broker import EntityQuery
from cctwin.ngsi.context import ContextStore, TermMap
from cctwin.ngsi.entities import Entity, Json, check_uri
from cctwin.ngsi.problems import NgsiError, Problem, not_found
from cctwin.ngsi.registration_query import RegistrationQuery
from cctwin.ngsi.registrations import (
    Info,
    Registration,
    Selector,
    compile_registration,
    merge_patch,
)

log = logging.getLogger(__name__)


class RegistrationRepository(Protocol):
    """Where registrations and registration subscriptions are kept (store/ngsi_registrations.py)."""

    def save_registration(self, registration_id: str, body: Mapping[str, Any]) -> None: ...

    def load_registrations(self) -> dict[str, Json]: ...

    def delete_registration(self, registration_id: str) -> None: ...

    def save_csource_subscription(self, subscription_id: str, body: Mapping[str, Any]) -> None: ...

    def load_csource_subscriptions(self) -> dict[str, Json]: ...

    def delete_csource_subscription(self, subscription_id: str) -> None: ...


class LocalEntities(Protocol):
    """The broker's own entities, which exclusive and redirect registrations must not cover."""

    def query(self, query: EntityQuery) -> list[Entity]: ...


@dataclass(frozen=True)
class RegistrationChange:
    """A registration before and after a write (None: it did not exist / was deleted)."""

    before: Registration | None
    after: Registration | None


RegistrationListener = Callable[[RegistrationChange], None]


def conflict(detail: str) -> NgsiError:
    return NgsiError(Problem.CONFLICT, f"Conflict: {detail}")


class Registry:
    """Creates, updates, deletes and discovers context source registrations."""

    def __init__(
        self, repository: RegistrationRepository, contexts: ContextStore, local: LocalEntities
    ) -> None:
        self.repository = repository
        self.contexts = contexts
        self.local = local
        self.registrations: dict[str, Registration] = {}
        self.listeners: list[RegistrationListener] = []
        self._lock = threading.Lock()
        core = contexts.terms(None)
        for reg_id, body in repository.load_registrations().items():
            try:
                self.registrations[reg_id] = compile_registration(body, core, stored=True)
            except NgsiError:
                log.warning("skipped stored registration %s: no longer valid", reg_id)

    def create(self, body: object, terms: TermMap) -> Registration:
        reg = compile_registration(body, terms)
        with self._lock:
            if reg.id in self.registrations:
                raise NgsiError(Problem.ALREADY_EXISTS, f"registration {reg.id} exists")
            self._check_conflicts(reg)
            self._save(reg)
        self._emit(RegistrationChange(None, reg))
        return reg

    def get(self, reg_id: str) -> Registration:
        check_uri(reg_id, "registration id")
        found = self.registrations.get(reg_id)
        if found is None:
            raise not_found(f"no context source registration {reg_id}")
        return found

    def update(self, reg_id: str, patch: object, terms: TermMap) -> None:
        with self._lock:
            current = self.get(reg_id)
            reg = compile_registration(merge_patch(current, patch, terms), terms)
            reg.created_at, reg.runtime = current.created_at, current.runtime
            self._check_conflicts(reg)
            self._save(reg)
        self._emit(RegistrationChange(current, reg))

    def delete(self, reg_id: str) -> None:
        with self._lock:
            current = self.get(reg_id)
            del self.registrations[reg_id]
            self.repository.delete_registration(reg_id)
        self._emit(RegistrationChange(current, None))

    def query(self, query: RegistrationQuery) -> list[Registration]:
        """The registrations discovery returns, in id order."""
        found = [r for r in list(self.registrations.values()) if query.matches(r)]
        return sorted(found, key=lambda r: r.id)

    def _save(self, reg: Registration) -> None:
        self.repository.save_registration(reg.id, reg.stored())
        self.registrations[reg.id] = reg

    def _emit(self, change: RegistrationChange) -> None:
        for listener in list(self.listeners):
            try:
                listener(change)
            except Exception:  # a listener's failure must not undo a committed write
                log.exception("registration listener failed")

    # --- clause 4.3.6.3 / 5.9.2.4: what exclusive and redirect registrations may cover --------

    def _check_conflicts(self, reg: Registration) -> None:
        if reg.mode not in ("exclusive", "redirect"):
            return
        for other in list(self.registrations.values()):
            if other.id != reg.id and other.mode == "exclusive" and _overlaps(reg, other):
                raise conflict(f"exclusive registration {other.id} covers these attributes")
        for info in reg.infos:
            self._check_local(reg.mode, info)

    def _check_local(self, mode: str, info: Info) -> None:
        selectors: Sequence[Selector | None] = info.entities or [None]
        for selector in selectors:
            query = EntityQuery(
                types=[selector.type] if selector else None,
                ids=[selector.id] if selector and selector.id else None,
                id_pattern=selector.pattern if selector else None,
                attrs=info.attrs,
            )
            if selector is None and info.attrs is None:
                continue
            found = self.local.query(query)
            if mode == "exclusive" and found:
                raise conflict(f"entity {found[0].id} has attributes this source would own")
            if mode == "redirect" and found:
                raise conflict(f"entity {found[0].id} exists here and would be redirected")


def _overlaps(reg: Registration, exclusive: Registration) -> bool:
    """Whether `reg` covers an (entity id, attribute) pair of an exclusive registration."""
    for mine in reg.infos:
        for theirs in exclusive.infos:
            if mine.attrs is not None and not (mine.attrs & (theirs.attrs or frozenset())):
                continue
            for owned in theirs.entities or ():
                if any(_covers(s, owned) for s in mine.entities or (owned,)):
                    return True
    return False


def _covers(selector: Selector, owned: Selector) -> bool:
    if selector.type != owned.type or owned.id is None:
        return False
    if selector.id is not None:
        return selector.id == owned.id
    return selector.pattern is None or selector.pattern.search(owned.id) is not None
