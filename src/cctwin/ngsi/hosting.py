"""The @contexts this broker stores and serves (CIM 009 V1.8.1 clause 5.13): Hosted ones added
by clients, ImplicitlyCreated ones made for subscriptions with an inline @context, and the
Cached remote documents of the context store (core context included).

Hosted and implicit documents are kept in the repository, so their URLs stay valid across
restarts; cached ones are a cache and live in memory only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from cctwin.ngsi.context import CORE_ALIASES, CORE_CONTEXT, HOSTED_PATH, ContextStore, Usage
from cctwin.ngsi.entities import Json, iso
from cctwin.ngsi.problems import NgsiError, Problem, bad_data, not_found


class Kind(StrEnum):
    """Where a @context came from (ContextInfo.kind)."""

    HOSTED = "Hosted"
    CACHED = "Cached"
    IMPLICIT = "ImplicitlyCreated"


@dataclass(frozen=True)
class HostedContext:
    """A hosted or implicitly created @context document (`{"@context": ...}`)."""

    local_id: str
    kind: Kind
    document: Json
    created: datetime


class ContextRepository(Protocol):
    """Where hosted @contexts are kept (store/ngsi.py)."""

    def save_context(self, context: HostedContext) -> None: ...

    def load_contexts(self) -> list[HostedContext]: ...

    def delete_context(self, local_id: str) -> None: ...


class ContextHosting:
    """Add, list, serve and delete @contexts over a context store and a repository."""

    def __init__(self, store: ContextStore, repository: ContextRepository) -> None:
        self.store = store
        self.repository = repository
        self.entries: dict[str, HostedContext] = {}
        for context in repository.load_contexts():
            self._keep(context, hits=0)

    def _keep(self, context: HostedContext, hits: int) -> None:
        self.entries[context.local_id] = context
        self.store.hosted[context.local_id] = context.document
        self.store.usage[context.local_id] = Usage(context.created, hits=hits)

    def add(self, body: object) -> HostedContext:
        """POST /jsonldContexts: a body `{"@context": ...}` becomes a Hosted @context. Remote
        documents it names are fetched (and so cached) now, so a broken one is refused."""
        if not isinstance(body, Mapping) or set(body) != {"@context"}:
            # 5.13.2: a payload that is not a @context document is an invalid request.
            raise NgsiError(
                Problem.INVALID_REQUEST, 'the body must be an object with one member, "@context"'
            )
        context = body["@context"]
        check_context(context)
        self.store.terms(context)  # a @context pyld cannot process is BadRequestData
        return self._create(Kind.HOSTED, {"@context": context}, hits=0)

    def implicit(self, context: Any) -> HostedContext:
        """An ImplicitlyCreated @context for a resource given an inline @context (one use)."""
        return self._create(Kind.IMPLICIT, {"@context": context}, hits=1)

    def _create(self, kind: Kind, document: Json, hits: int) -> HostedContext:
        hosted = HostedContext(uuid.uuid4().hex, kind, document, datetime.now(UTC))
        self.repository.save_context(hosted)
        self._keep(hosted, hits)
        return hosted

    def listing(self, base: str, kind: str | None, details: bool) -> list[Any]:
        """GET /jsonldContexts: URLs, or ContextInfo objects with `details`."""
        wanted = _kind(kind) if kind is not None else None
        infos = [i for i in self._infos(base) if wanted is None or i["kind"] == wanted]
        return infos if details else [i["URL"] for i in infos]

    def serve(self, base: str, context_id: str, details: bool) -> Json:
        """GET /jsonldContexts/{id}: the document, or its ContextInfo with `details`."""
        if context_id in CORE_ALIASES:
            context_id = CORE_CONTEXT  # every published name of the core context is one
        for info in self._infos(base):
            if context_id in (info["localId"], info["URL"]):
                if details:
                    return info
                found = self.entries.get(info["localId"])
                if found is not None:
                    return found.document
                document = self.store.cached(info["URL"])
                if isinstance(document, Mapping):
                    return dict(document)
        raise not_found(f"no @context {context_id}")

    def delete(self, context_id: str, reload: bool) -> None:
        """DELETE /jsonldContexts/{id}: forget a hosted or cached @context; `reload` fetches
        a cached one again (LdContextNotAvailable if it cannot be)."""
        context_id = self._cached_url(context_id) or context_id
        if context_id in CORE_ALIASES:
            raise bad_data("the NGSI-LD core @context cannot be deleted or reloaded")
        local_id = context_id.rpartition(HOSTED_PATH)[2] if HOSTED_PATH in context_id else None
        entry = self.entries.get(local_id or context_id)
        if reload:
            if entry is not None or context_id not in self.store.usage:
                raise bad_data("reload applies to Cached @contexts only, named by their URL")
            self.store.forget(context_id, self.store.fetch(context_id))
            return
        if entry is not None:
            self.repository.delete_context(entry.local_id)
            del self.entries[entry.local_id]
            self.store.unhost(entry.local_id)
            return
        if context_id in self.store.usage:
            self.store.forget(context_id)
            return
        raise not_found(f"no @context {context_id}")

    def _infos(self, base: str) -> list[Json]:
        infos: list[Json] = []
        for local_id, usage in list(self.store.usage.items()):
            entry = self.entries.get(local_id)
            if entry is not None:
                url = f"{base.rstrip('/')}{HOSTED_PATH}{local_id}"
                infos.append(_info(url, local_id, entry.kind, usage))
            elif local_id not in self.store.hosted:
                infos.append(_info(local_id, _cached_id(local_id), Kind.CACHED, usage))
        return infos

    def _cached_url(self, context_id: str) -> str | None:
        """The URL of a cached @context named by its local id."""
        for url in list(self.store.usage):
            if _cached_id(url) == context_id:
                return url
        return None


def _cached_id(url: str) -> str:
    # A cached URL's local id: a stable name derived from the URL.
    return f"urn:ngsi-ld:cached:{uuid.uuid5(uuid.NAMESPACE_URL, url).hex}"


def _info(url: str, local_id: str, kind: Kind, usage: Usage) -> Json:
    info: Json = {
        "URL": url,
        "localId": local_id,
        "kind": kind.value,
        "createdAt": iso(usage.created),
        "numberOfHits": usage.hits,
    }
    if usage.last is not None:
        info["lastUsage"] = iso(usage.last)
    return info


def _kind(text: str) -> Kind:
    try:
        return Kind(text)
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise bad_data(f"kind is one of {kinds}, not {text!r}") from None


def check_context(context: object) -> None:
    """A @context is a URL, an object, or a non-empty list of them."""
    items: Sequence[object] = context if isinstance(context, list) else [context]
    if not items or not all(isinstance(i, (str, Mapping)) for i in items):
        raise bad_data("@context must be a URL, an object or a non-empty list of them")
