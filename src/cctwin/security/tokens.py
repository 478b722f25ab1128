"""Short-lived signed access tokens (JWT, HS256) and the secret that signs them."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt


class TokenError(Exception):
    """A token that is not valid; the message says why (expired, bad signature)."""


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    expires_at: datetime
    csrf: str | None  # set for dashboard sessions: unsafe methods must echo it in a header


def load_secret(configured: str | None, path: Path) -> str:
    """The configured secret, else the one kept in `path` (created 0600 on first use)."""
    if configured:
        return configured
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret)
    return secret


def issue(secret: str, subject: str, ttl_s: float, csrf: str | None = None) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {"sub": subject, "iat": now, "exp": now + timedelta(seconds=ttl_s)}
    if csrf is not None:
        claims["csrf"] = csrf
    return jwt.encode(claims, secret, algorithm="HS256")


def decode(secret: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired; log in again") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from None
    csrf = claims.get("csrf")
    return TokenClaims(
        subject=str(claims.get("sub", "")),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        csrf=str(csrf) if csrf is not None else None,
    )
