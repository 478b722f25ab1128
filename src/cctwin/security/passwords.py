"""Password hashing with argon2id (argon2-cffi) and checks that take the same time either way."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified when the user does not exist, so a missing name costs as long as a wrong password.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("empty password")
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; a None hash is checked against a dummy."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def random_password() -> str:
    return secrets.token_urlsafe(12)
