"""Unmask grants: who may see a camera's unmasked footage, for which reason, until when."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from cctwin.config import Config
from cctwin.config.base import Identifier
from cctwin.privacy.retention import policy_for
from cctwin.security.audit import AuditAction, AuditRecord
from cctwin.security.roles import Permission, Principal

log = logging.getLogger(__name__)
EXPIRE_EVERY_S = 30.0


class UnmaskRequest(BaseModel):
    """What a privacy officer asks for: the cameras, the reason, the purpose and how long."""

    model_config = ConfigDict(extra="forbid")

    cameras: list[Identifier] = Field(min_length=1, max_length=64)
    # The bounds the config can only tighten (privacy.unmask_reason_min_chars, _max_minutes).
    reason: str = Field(min_length=10, max_length=1000, description="Why (audited).")
    purpose: str | None = Field(
        None, min_length=1, max_length=200, description="Default: the cameras' purpose."
    )
    minutes: int = Field(15, ge=1, le=60, description="Capped by privacy.unmask_max_minutes.")
    user: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Whose grant (a user name); default: the caller's own.",
    )


class UnmaskGrant(BaseModel):
    """A grant as stored and answered: the grantee sees these cameras unmasked until expiry."""

    model_config = ConfigDict(frozen=True)

    id: str
    grantee: str  # the actor it is for: user:NAME or key:NAME
    cameras: list[str]
    reason: str
    purpose: str
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at


class UnmaskStore(Protocol):
    def add_grant(self, grant: UnmaskGrant) -> None: ...
    def get_grant(self, grant_id: str) -> UnmaskGrant | None: ...
    def open_grants(self) -> list[UnmaskGrant]: ...
    def end_grant(self, grant_id: str, at: datetime) -> bool: ...
    def append_audit(self, record: AuditRecord) -> object: ...


class UnmaskRefusedError(Exception):
    """The request is not allowed (403) or not acceptable (422); the message says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class UnmaskService:
    """Issues, lists, ends and expires grants, auditing each with its reason (blocking)."""

    def __init__(
        self,
        store: UnmaskStore,
        config: Config,
        user_exists: Callable[[str], bool],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = config
        self._user_exists = user_exists
        self._clock = clock

    def grant(self, principal: Principal, request: UnmaskRequest) -> UnmaskGrant:
        settings = self.config.privacy
        if not principal.can(Permission.UNMASK):
            raise UnmaskRefusedError(403, f"the {principal.role.value} role may not unmask")
        reason = request.reason.strip()
        if len(reason) < settings.unmask_reason_min_chars:
            raise UnmaskRefusedError(
                422, f"reason: give at least {settings.unmask_reason_min_chars} characters"
            )
        if request.minutes > settings.unmask_max_minutes:
            raise UnmaskRefusedError(
                422, f"minutes: at most {settings.unmask_max_minutes} (privacy.unmask_max_minutes)"
            )
        cameras = {c.id: c for c in self.config.cameras}
        for camera_id in request.cameras:
            if camera_id not in cameras:
                raise UnmaskRefusedError(404, f"no camera {camera_id!r}")
            if not principal.sees(camera_id):
                raise UnmaskRefusedError(403, f"camera {camera_id!r} is outside your scope")
        grantee = principal.actor
        if request.user is not None and f"user:{request.user}" != grantee:
            if not self._user_exists(request.user):
                raise UnmaskRefusedError(404, f"no user {request.user!r}")
            grantee = f"user:{request.user}"
        first = cameras[request.cameras[0]]
        now = self._clock()
        grant = UnmaskGrant(
            id=uuid.uuid4().hex,
            grantee=grantee,
            cameras=sorted(set(request.cameras)),
            reason=reason,
            purpose=request.purpose or policy_for(first, self.config).purpose,
            issued_by=principal.actor,
            issued_at=now,
            expires_at=now + timedelta(minutes=request.minutes),
        )
        self.store.add_grant(grant)
        detail = f"for {grant.grantee} until {grant.expires_at.isoformat()}; reason: {reason}"
        self._audit(principal.actor, AuditAction.UNMASK, grant, detail, now)
        return grant

    def active(self, principal: Principal | None = None) -> list[UnmaskGrant]:
        """Grants in force now (a principal: its own, or all it may see with UNMASK)."""
        now = self._clock()
        grants = [g for g in self._expire(now) if g.active(now)]
        if principal is None or principal.can(Permission.UNMASK):
            if principal is not None and principal.cameras is not None:
                return [g for g in grants if all(principal.sees(c) for c in g.cameras)]
            return grants
        return [g for g in grants if g.grantee == principal.actor]

    def grant_for(self, principal: Principal, camera_id: str) -> UnmaskGrant | None:
        """The caller's grant covering `camera_id` now, or None (then serve masked)."""
        now = self._clock()
        for grant in self._expire(now):
            if (
                grant.grantee == principal.actor
                and camera_id in grant.cameras
                and grant.active(now)
            ):
                return grant
        return None

    def end(self, principal: Principal, grant_id: str) -> UnmaskGrant:
        """End a grant early: its grantee or anyone with the unmask right. KeyError if none."""
        grant = self.store.get_grant(grant_id)
        now = self._clock()
        if grant is None or not grant.active(now):
            raise KeyError(grant_id)
        if grant.grantee != principal.actor and not principal.can(Permission.UNMASK):
            raise UnmaskRefusedError(403, "only its holder or a privacy officer may end a grant")
        if not all(principal.sees(c) for c in grant.cameras) and grant.grantee != principal.actor:
            raise UnmaskRefusedError(403, "the grant covers cameras outside your scope")
        self.store.end_grant(grant_id, now)
        self._audit(principal.actor, AuditAction.UNMASK_END, grant, f"reason: {grant.reason}", now)
        return grant.model_copy(update={"ended_at": now})

    def used(self, principal: Principal, grant: UnmaskGrant, target: str, camera_id: str) -> None:
        """One unmasked viewing under `grant`."""
        record = AuditRecord(
            self._clock(),
            principal.actor,
            AuditAction.UNMASK_USE,
            target,
            camera_id,
            grant.purpose,
            f"grant {grant.id}; reason: {grant.reason}",
        )
        self.store.append_audit(record)

    def expire(self) -> int:
        """Close and audit the grants whose time is up; the periodic sweep calls this."""
        now = self._clock()
        opened = self.store.open_grants()
        return len(opened) - len(self._expire(now, opened))

    def _expire(
        self, now: datetime, opened: Sequence[UnmaskGrant] | None = None
    ) -> list[UnmaskGrant]:
        """Open grants after closing the expired ones (each closed with an audit row)."""
        open_now: list[UnmaskGrant] = []
        for grant in self.store.open_grants() if opened is None else opened:
            if now < grant.expires_at:
                open_now.append(grant)
                continue
            # Only the caller that closes it audits it (end_grant is false if already closed).
            if self.store.end_grant(grant.id, grant.expires_at):
                detail = f"expired; reason: {grant.reason}"
                self._audit("service", AuditAction.UNMASK_EXPIRED, grant, detail, now)
        return open_now

    def _audit(
        self, actor: str, action: AuditAction, grant: UnmaskGrant, detail: str, at: datetime
    ) -> None:
        for camera_id in grant.cameras:  # one row per camera: the log is read per camera
            record = AuditRecord(at, actor, action, grant.id, camera_id, grant.purpose, detail)
            self.store.append_audit(record)


async def expire_periodically(
    service: UnmaskService, stopping: asyncio.Event, every_s: float = EXPIRE_EVERY_S
) -> None:
    """Close expired grants (audited) every `every_s`, so expiry is logged when it happens."""
    while not stopping.is_set():
        try:
            await asyncio.to_thread(service.expire)
        except Exception:
            log.exception("could not expire unmask grants")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every_s)
