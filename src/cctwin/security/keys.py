"""API keys: `cct_<id>_<secret>`, shown once; only the secret's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from cctwin.security.roles import Principal, Role

PREFIX = "cct_"


@dataclass(frozen=True)
class ApiKey:
    name: str
    key_id: str
    secret_hash: str
    role: Role
    cameras: frozenset[str] | None
    created_at: datetime
    revoked_at: datetime | None = None
    zones: frozenset[str] | None = None

    def principal(self) -> Principal:
        return Principal(self.name, "key", self.role, self.cameras, self.zones)


def new_key() -> tuple[str, str, str]:
    """(full key to show once, key id, secret hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{PREFIX}{key_id}_{secret}", key_id, digest(secret)


def digest(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough (no dictionary to try).
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    if not key.startswith(PREFIX):
        return None
    key_id, _, secret = key[len(PREFIX) :].partition("_")
    return (key_id, secret) if key_id and secret else None


def matches(stored: ApiKey | None, secret: str) -> bool:
    """Constant-time comparison; a missing key compares against a dummy all the same."""
    expected = stored.secret_hash if stored is not None else "0" * 64
    same = hmac.compare_digest(expected, digest(secret))
    return same and stored is not None and stored.revoked_at is None
