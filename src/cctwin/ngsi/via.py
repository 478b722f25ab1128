"""The Via header on forwarded NGSI-LD requests (CIM 009 6.3.18, RFC 9110 7.6.3): loops.

Each broker that forwards a request appends itself ("1.1 <name>"); a broker that finds its
own name in an incoming Via has seen the request before (508 LoopDetected), and a broker never
forwards to a context source whose endpoint already appears in Via.
"""

from __future__ import annotations

import socket
import uuid
from functools import cache
from urllib.parse import urlsplit

from cctwin.config.federation import FederationConfig
from cctwin.ngsi.problems import NgsiError, Problem

HEADER = "Via"
PROTOCOL = "1.1"


def own_name(config: FederationConfig) -> str:
    """This broker's name in Via: the configured one, else one made for this process."""
    return config.via_name or _process_name()


@cache
def _process_name() -> str:
    # Host name and a per-process suffix: two brokers on one host never take each other's
    # requests for loops, and every tenant of this process names itself the same.
    return f"{socket.gethostname() or 'cctwin'}-{uuid.uuid4().hex[:8]}"


def hops(header: str | None) -> list[str]:
    """The received-by names in a Via header, in order (pseudonyms or host[:port])."""
    names: list[str] = []
    for entry in (header or "").split(","):
        words = entry.split()
        if len(words) >= 2:  # "protocol received-by [comment]"
            names.append(words[1])
    return names


def check_loop(header: str | None, name: str) -> None:
    """LoopDetected (508) when this broker already forwarded the request."""
    if name in hops(header):
        raise NgsiError(Problem.LOOP_DETECTED, f"{name} is already in Via: {header}")


def visited(header: str | None, endpoint: str) -> bool:
    """Whether the source at `endpoint` already handled the request (its host in Via)."""
    parts = urlsplit(endpoint)
    seen = set(hops(header))
    return bool(parts.netloc) and (parts.netloc in seen or (parts.hostname or "") in seen)


def extended(header: str | None, name: str) -> str:
    """The Via header to send on: the incoming hops and this broker."""
    mine = f"{PROTOCOL} {name}"
    return f"{header}, {mine}" if header else mine
