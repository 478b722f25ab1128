"""Authentication and the audit appender, over a store that the service provides."""

from __future__ import annotations

import getpass
import hashlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cctwin.config import SecurityConfig
from cctwin.security import keys, tokens
from cctwin.security.audit import AuditAction, AuditEntry, AuditRecord
from cctwin.security.keys import ApiKey
from cctwin.security.passwords import hash_password, random_password, verify_password
from cctwin.security.ratelimit import LoginLimiter
from cctwin.security.roles import Principal, Role
from cctwin.security.users import User


class SecurityStore(Protocol):
    def get_user(self, name: str) -> User | None: ...
    def count_users(self) -> int: ...
    def add_user(self, user: User) -> None: ...
    def get_key(self, key_id: str) -> ApiKey | None: ...
    def append_audit(self, record: AuditRecord) -> AuditEntry: ...
    def last_audit(self, action: str) -> AuditEntry | None: ...


class AuthError(Exception):
    """401: no or wrong credentials; the message is the reason given to the client."""


class LoginRefusedError(Exception):
    """A refused login: 401 (wrong name or password) or 429 (too many failures)."""

    def __init__(self, status: int, reason: str, retry_after_s: float = 0.0) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class AuthSettings:
    secret: str
    token_ttl_s: float
    session_ttl_s: float
    login_attempts: int
    login_window_s: float


class Authenticator:
    """Checks passwords, tokens and keys (blocking: the API calls it from a thread)."""

    def __init__(self, settings: AuthSettings, store: SecurityStore) -> None:
        self.settings = settings
        self.store = store
        self.limiter = LoginLimiter(settings.login_attempts, settings.login_window_s)

    def login(self, name: str, password: str, address: str) -> Principal:
        wait = self.limiter.retry_after(name, address)
        if wait > 0:
            raise LoginRefusedError(429, "too many failed logins; try again later", wait)
        user = self.store.get_user(name)
        # Verified even for an unknown or disabled user, so timing tells nothing.
        good = verify_password(user.password_hash if user else None, password)
        now = datetime.now(UTC)
        if user is None or user.disabled or not good:
            self.limiter.failed(name, address)
            self.store.append_audit(
                AuditRecord(now, f"user:{name}", AuditAction.LOGIN_FAILED, detail=address)
            )
            raise LoginRefusedError(401, "wrong user name or password")
        self.limiter.succeeded(name, address)
        self.store.append_audit(AuditRecord(now, f"user:{name}", AuditAction.LOGIN, detail=address))
        return user.principal()

    def access_token(self, principal: Principal) -> str:
        return tokens.issue(self.settings.secret, principal.name, self.settings.token_ttl_s)

    def session_token(self, principal: Principal) -> tuple[str, str]:
        """(cookie value, CSRF token the dashboard echoes on unsafe methods)."""
        csrf = secrets.token_urlsafe(24)
        token = tokens.issue(
            self.settings.secret, principal.name, self.settings.session_ttl_s, csrf
        )
        return token, csrf

    def bearer(self, credential: str, address: str) -> Principal:
        """The principal of an API key or an access token; AuthError otherwise."""
        parts = keys.split_key(credential)
        if parts is None:
            return self._token_user(credential)[0]
        if self.limiter.retry_after("key", address) > 0:
            raise AuthError("too many wrong API keys from this address; try again later")
        stored = self.store.get_key(parts[0])
        if not keys.matches(stored, parts[1]):
            self.limiter.failed("key", address)
            raise AuthError("unknown or revoked API key")
        assert stored is not None
        return stored.principal()

    def session(self, cookie: str, csrf_header: str | None, unsafe: bool) -> Principal:
        principal, csrf = self._token_user(cookie)
        if unsafe and (csrf is None or csrf_header is None or not _same(csrf, csrf_header)):
            raise AuthError("missing or wrong X-CSRF-Token header")
        return principal

    def _token_user(self, token: str) -> tuple[Principal, str | None]:
        try:
            claims = tokens.decode(self.settings.secret, token)
        except tokens.TokenError as exc:
            raise AuthError(str(exc)) from None
        user = self.store.get_user(claims.subject)
        if user is None or user.disabled:
            raise AuthError(f"user {claims.subject!r} is disabled or no longer exists")
        return user.principal(), claims.csrf

    def bootstrap_admin(self) -> str | None:
        """Create `admin` with a random password when there is no user; the password or None."""
        if self.store.count_users() > 0:
            return None
        password = random_password()
        now = datetime.now(UTC)
        self.store.add_user(User("admin", Role.ADMIN, None, hash_password(password), now))
        self.store.append_audit(
            AuditRecord(now, "service", AuditAction.USER_ADD, "admin", detail="first start")
        )
        return password


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


class ViewingAuditor:
    """Appends viewings; a live view polled every second is one row per `every_s` per viewer."""

    def __init__(
        self, store: SecurityStore, every_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.every_s = every_s
        self._clock = clock
        self._last: dict[tuple[str, AuditAction, str], float] = {}
        self._lock = threading.Lock()

    def record(
        self,
        principal: Principal,
        action: AuditAction,
        target: str,
        camera_id: str | None = None,
        purpose: str | None = None,
        detail: str = "",
    ) -> None:
        """Append now (committed when this returns)."""
        record = AuditRecord(
            datetime.now(UTC), principal.actor, action, target, camera_id, purpose, detail
        )
        self.store.append_audit(record)

    def viewed(
        self,
        principal: Principal,
        action: AuditAction,
        target: str,
        camera: str,
        purpose: str | None = None,
        detail: str = "",
    ) -> None:
        key = (principal.actor, action, target)
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.every_s:
                return
            self._last[key] = now
        self.record(principal, action, target, camera, purpose, detail)


def settings_from(config: SecurityConfig, default_secret_file: Path) -> AuthSettings:
    path = config.secret_file or default_secret_file
    return AuthSettings(
        secret=tokens.load_secret(config.secret, path),
        token_ttl_s=config.token_ttl_s,
        session_ttl_s=config.session_ttl_s,
        login_attempts=config.login_attempts,
        login_window_s=config.login_window_s,
    )


def host_actor() -> str:
    """Who started a process on the host (`cli:NAME`): the service has no login of its own."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return f"cli:uid{os.getuid()}"


def on_start(authenticator: Authenticator, config_json: str, actor: str | None = None) -> None:
    """First start: an admin with a random password, printed once; every start: the config,
    and `config.changed` (old and new SHA-256) when it differs from the last start's.

    Both rows name who started the service (`actor`, default the host user)."""
    actor = actor or host_actor()
    password = authenticator.bootstrap_admin()
    if password is not None:
        # One clear line, once: the operator needs it to open the dashboard.
        sys.stderr.write(
            f"cctwin: created user 'admin' with password {password} "
            "(shown once; manage users with `cctwin users`)\n"
        )
        sys.stderr.flush()
    digest = hashlib.sha256(config_json.encode()).hexdigest()
    store = authenticator.store
    last = store.last_audit(AuditAction.CONFIG_LOADED)
    now = datetime.now(UTC)
    if last is not None and last.record.detail != digest:
        detail = f"{last.record.detail} -> {digest}"
        store.append_audit(AuditRecord(now, actor, AuditAction.CONFIG_CHANGED, detail=detail))
    store.append_audit(AuditRecord(now, actor, AuditAction.CONFIG_LOADED, detail=digest))
