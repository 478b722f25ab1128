"""JSON-LD @context handling: the bundled core context, pre-loaded and cached remote documents.

Attribute names and entity types are stored expanded (full IRIs) and compacted against the
@context of each request. pyld processes each distinct @context once (resolving remote
documents through the loader here); the term maps it yields are cached, so expanding and
compacting an entity afterwards is dictionary look-ups, not a JSON-LD algorithm run per
request.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyld import jsonld  # type: ignore[import-untyped]

from cctwin.ngsi.problems import NgsiError, Problem, bad_data

CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
# Every published name of the core context resolves to the bundled copy (never fetched).
CORE_ALIASES = frozenset(
    {
        CORE_CONTEXT,
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.5.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld",
    }
)
CORE_FILE = Path(__file__).with_name("core-context.jsonld")
# Where this broker serves the @contexts it hosts (CIM 009 clause 5.13); a @context URL with
# this path is answered from the hosted ones, whatever host name the client used.
HOSTED_PATH = "/ngsi-ld/v1/jsonldContexts/"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
LINK_REL = "http://www.w3.org/ns/json-ld#context"

# A request's @context: absent, one URL, one inline object, or a list of them.
LdContext = str | Mapping[str, Any] | Sequence[Any] | None


@dataclass(frozen=True)
class TermMap:
    """The terms of one processed @context (core context included), both directions."""

    forward: Mapping[str, str]
    reverse: Mapping[str, str]
    prefixes: Mapping[str, str]
    vocab: str

    def expand(self, term: str) -> str:
        """The IRI of an attribute name or entity type."""
        found = self.forward.get(term)
        if found is not None:
            return found
        prefix, colon, rest = term.partition(":")
        if colon:
            namespace = self.prefixes.get(prefix)
            # An absolute IRI (scheme:...) or a compact IRI with a known prefix.
            return namespace + rest if namespace is not None else term
        return self.vocab + term

    def compact(self, iri: str) -> str:
        """The shortest name of an IRI under this @context (the IRI itself if none)."""
        found = self.reverse.get(iri)
        if found is not None:
            return found
        if iri.startswith(self.vocab) and ":" not in iri[len(self.vocab) :]:
            term = iri[len(self.vocab) :]
            # Not when the @context defines that term as another IRI: it would read back wrong.
            if self.forward.get(term, iri) == iri:
                return term
        for prefix, namespace in self.prefixes.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri


class ContextStore:
    """Resolves @context documents: bundled core, configured files, remote ones fetched once."""

    def __init__(self, preload: Mapping[str, Path] | None = None, fetch_timeout_s: float = 5.0):
        core = json.loads(CORE_FILE.read_text(encoding="utf-8"))
        self._documents: dict[str, Any] = dict.fromkeys(CORE_ALIASES, core)
        for url, path in (preload or {}).items():
            self._documents[url] = json.loads(Path(path).read_text(encoding="utf-8"))
        self._timeout = fetch_timeout_s
        self._lock = threading.Lock()
        self._maps: dict[str, TermMap] = {}
        self._processor = jsonld.JsonLdProcessor()
        started = datetime.now(UTC)
        # Cached documents (CIM 009 5.13: kind Cached): the core context under its current
        # name, the configured ones and every remote one fetched, with their usage.
        self.usage: dict[str, Usage] = {CORE_CONTEXT: Usage(started)}
        self.usage.update((url, Usage(started)) for url in preload or {})
        # Hosted and implicitly created documents by local id (ngsi/hosting.py fills it).
        self.hosted: dict[str, Any] = {}

    def document(self, url: str) -> Any:
        """The JSON of a context document, fetching it once if it is neither bundled nor set."""
        local_id = hosted_id(url)
        with self._lock:
            found = self.hosted.get(local_id) if local_id else None
            if found is None:
                found = self._documents.get(url)
        if found is not None:
            return found
        if not url.startswith(("http://", "https://")):
            raise bad_data(f"@context {url!r} is not an http(s) URL")
        document = self.fetch(url)
        with self._lock:
            self._documents[url] = document
            self.usage[url] = Usage(datetime.now(UTC))
        return document

    def fetch(self, url: str) -> Any:
        """A remote @context document (LdContextNotAvailable if it cannot be had)."""
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as response:
                raw = response.read()
        except (OSError, ValueError) as error:
            raise NgsiError(
                Problem.LD_CONTEXT_NOT_AVAILABLE, f"cannot load @context {url}: {error}"
            ) from error
        try:
            document = json.loads(raw)
        except ValueError as error:
            # 5.5.6: had but invalid is BadRequestData, not LdContextNotAvailable.
            raise bad_data(f"@context {url} is not JSON: {error}") from error
        if not isinstance(document, dict) or "@context" not in document:
            raise bad_data(f"@context {url} is a JSON document without an @context member")
        return document

    def _count(self, context: LdContext) -> None:
        """One more use of each @context URL a request names (numberOfHits, lastUsage)."""
        urls = context if isinstance(context, list) else [context]
        moment = datetime.now(UTC)
        with self._lock:
            for url in urls:
                if not isinstance(url, str):
                    continue
                key = hosted_id(url) or (CORE_CONTEXT if url in CORE_ALIASES else url)
                usage = self.usage.get(key)
                if usage is not None:
                    usage.hits += 1
                    usage.last = moment

    def cached(self, url: str) -> Any:
        """The cached document of a URL (None if it is not cached)."""
        with self._lock:
            return self._documents.get(url) if url in self.usage else None

    def forget(self, url: str, document: Any = None) -> None:
        """Drop a cached document (or replace it by `document`, a reload); term maps built
        on it are dropped too, so the next request processes its @context again."""
        with self._lock:
            self._documents.pop(url, None)
            self.usage.pop(url, None)
            if document is not None:
                self._documents[url] = document
                self.usage[url] = Usage(datetime.now(UTC))
            self._maps.clear()

    def unhost(self, local_id: str) -> None:
        """Stop serving a hosted @context; term maps built on it are dropped."""
        with self._lock:
            self.hosted.pop(local_id, None)
            self.usage.pop(local_id, None)
            self._maps.clear()

    def _load(self, url: str, options: Any = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": self.document(url)}

    def terms(self, context: LdContext) -> TermMap:
        """The term map of a request's @context with the core context applied last."""
        key = json.dumps(context, sort_keys=True)
        with self._lock:
            found = self._maps.get(key)
        if found is not None:
            self._count(context)
            return found
        local: list[Any] = []
        if isinstance(context, (str, Mapping)):
            local.append(context)
        elif isinstance(context, list):
            local.extend(context)
        elif context is not None:
            raise bad_data("@context is a URL, an object or a list of them")
        if not all(isinstance(c, (str, Mapping)) for c in local):
            raise bad_data("@context is a URL, an object or a list of them")
        # The core context is protected and always in force, so it goes last.
        local = [c for c in local if not (isinstance(c, str) and c in CORE_ALIASES)]
        local.append(CORE_CONTEXT)
        try:
            active = self._processor.process_context(
                {"mappings": {}, "processingMode": "json-ld-1.1"},
                local,
                {"documentLoader": self._load, "base": "", "processingMode": "json-ld-1.1"},
            )
        except NgsiError:
            raise
        except Exception as error:  # pyld raises JsonLdError and plain errors alike
            cause = _ngsi_cause(error)
            if cause is not None:
                raise cause from error
            raise bad_data(f"invalid @context: {error}") from error
        term_map = _term_map(active)
        with self._lock:
            self._maps[key] = term_map
        self._count(context)
        return term_map


@dataclass
class Usage:
    """When a @context was stored and how often requests used it since."""

    created: datetime
    hits: int = 0
    last: datetime | None = None


def hosted_id(url: str) -> str | None:
    """The local id of a URL this broker hosts (`.../ngsi-ld/v1/jsonldContexts/{id}`)."""
    _, found, rest = url.partition(HOSTED_PATH)
    return rest if found and rest and "/" not in rest else None


def _ngsi_cause(error: BaseException) -> NgsiError | None:
    # pyld wraps what the document loader raised, sometimes several levels deep.
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, NgsiError):
            return current
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        current = (
            cause if isinstance(cause, BaseException) else current.__cause__ or current.__context__
        )
    return None


def _term_map(active: Mapping[str, Any]) -> TermMap:
    forward: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for term, definition in active.get("mappings", {}).items():
        iri = definition.get("@id") if definition else None
        if not isinstance(iri, str) or iri.startswith("@"):
            continue
        if iri.endswith(("/", "#")):
            prefixes[term] = iri
        else:
            forward[term] = iri
    reverse: dict[str, str] = {}
    # Shorter terms win, as JSON-LD compaction picks the shortest term.
    for term, iri in sorted(forward.items(), key=lambda item: (-len(item[0]), item[0])):
        reverse[iri] = term
    vocab = active.get("@vocab") or DEFAULT_VOCAB
    return TermMap(forward, reverse, prefixes, vocab)


def link_context(header: str | None) -> str | None:
    """The @context URL of a `Link` header with the JSON-LD context relation, if any."""
    if not header:
        return None
    for part in header.split(","):
        url, _, params = part.strip().partition(">")
        if LINK_REL in params and url.startswith("<"):
            return url[1:].strip()
    return None


def link_header(context_url: str) -> str:
    return f'<{context_url}>; rel="{LINK_REL}"; type="application/ld+json"'
