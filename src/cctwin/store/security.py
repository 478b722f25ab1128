"""Users, API keys and the audit chain in SQL (security/ holds the rules, this the rows)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from cctwin.security.audit import GENESIS, AuditEntry, AuditRecord, row_hash
from cctwin.security.keys import ApiKey
from cctwin.security.roles import Role, parse_cameras
from cctwin.security.users import User
from cctwin.store.database import Database
from cctwin.store.tables import ApiKeyRow, AuditRow, Base, UserRow

USERS = Base.metadata.tables[UserRow.__tablename__]
API_KEYS = Base.metadata.tables[ApiKeyRow.__tablename__]
AUDIT = Base.metadata.tables[AuditRow.__tablename__]


def _cameras(value: frozenset[str] | None) -> str | None:
    return ",".join(sorted(value)) if value else None


class SecurityTables(Database):
    """The users, api_keys and audit_log tables."""

    # --- users -------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        """Insert a user; ValueError when the name is taken."""
        with self._write() as connection:
            if connection.execute(select(USERS.c.name).where(USERS.c.name == user.name)).first():
                raise ValueError(f"user {user.name!r} exists")
            connection.execute(
                USERS.insert().values(
                    name=user.name,
                    role=user.role.value,
                    cameras=_cameras(user.cameras),
                    zones=_cameras(user.zones),
                    password_hash=user.password_hash,
                    created_at=user.created_at,
                    disabled=int(user.disabled),
                )
            )

    def get_user(self, name: str) -> User | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(USERS).where(USERS.c.name == name)).first()
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        with self._engine.connect() as connection:
            return [_user(r) for r in connection.execute(select(USERS).order_by(USERS.c.name))]

    def count_users(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(USERS)).scalar_one())

    def disable_user(self, name: str) -> bool:
        """True when the user existed (now disabled)."""
        with self._write() as connection:
            result = connection.execute(
                update(USERS).where(USERS.c.name == name).values(disabled=1)
            )
        return bool(result.rowcount)

    def set_password(self, name: str, password_hash: str) -> bool:
        """True when the user exists (its password now replaced)."""
        with self._write() as connection:
            result = connection.execute(
                update(USERS).where(USERS.c.name == name).values(password_hash=password_hash)
            )
        return bool(result.rowcount)

    # --- API keys ----------------------------------------------------------------------------

    def add_key(self, key: ApiKey) -> None:
        with self._write() as connection:
            taken = select(API_KEYS.c.name).where(API_KEYS.c.name == key.name)
            if connection.execute(taken).first():
                raise ValueError(f"key {key.name!r} exists")
            connection.execute(
                API_KEYS.insert().values(
                    name=key.name,
                    key_id=key.key_id,
                    secret_hash=key.secret_hash,
                    role=key.role.value,
                    cameras=_cameras(key.cameras),
                    zones=_cameras(key.zones),
                    created_at=key.created_at,
                    revoked_at=None,
                )
            )

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(API_KEYS).where(API_KEYS.c.key_id == key_id)).first()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(API_KEYS).order_by(API_KEYS.c.name))
            return [_key(r) for r in rows]

    def revoke_key(self, name: str, at: datetime) -> bool:
        """True when an active key of that name was revoked now."""
        with self._write() as connection:
            result = connection.execute(
                update(API_KEYS)
                .where(API_KEYS.c.name == name, API_KEYS.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
        return bool(result.rowcount)

    # --- audit -------------------------------------------------------------------------------

    def append_audit(self, record: AuditRecord) -> AuditEntry:
        """Chain and insert one row; committed when this returns."""
        with self._write() as connection:
            if self.dialect == "postgresql":
                # Writers in other processes must chain one after another.
                connection.exec_driver_sql("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            last = connection.execute(
                select(AUDIT.c.seq, AUDIT.c.hash).order_by(AUDIT.c.seq.desc()).limit(1)
            ).first()
            seq, prev = (1, GENESIS) if last is None else (int(last.seq) + 1, str(last.hash))
            entry = AuditEntry(seq, record, prev, row_hash(seq, record, prev))
            connection.execute(
                AUDIT.insert().values(
                    seq=seq,
                    at=record.at,
                    actor=record.actor,
                    action=str(record.action),
                    target=record.target,
                    camera_id=record.camera_id,
                    purpose=record.purpose,
                    detail=record.detail,
                    prev_hash=prev,
                    hash=entry.hash,
                )
            )
        return entry

    def last_audit(self, action: str) -> AuditEntry | None:
        """The newest row of `action`, or None."""
        statement = (
            select(AUDIT).where(AUDIT.c.action == str(action)).order_by(AUDIT.c.seq.desc()).limit(1)
        )
        with self._engine.connect() as connection:
            row = connection.execute(statement).first()
        return None if row is None else _entry(row)

    def audit_entries(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[AuditEntry]:
        """Rows in sequence order, optionally within [since, until)."""
        statement = select(AUDIT).order_by(AUDIT.c.seq)
        if since is not None:
            statement = statement.where(AUDIT.c.at >= since)
        if until is not None:
            statement = statement.where(AUDIT.c.at < until)
        with self._engine.connect() as connection:
            for row in connection.execute(statement):
                yield _entry(row)


def _user(row: Any) -> User:
    return User(
        name=row.name,
        role=Role(row.role),
        cameras=parse_cameras(row.cameras),
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled=bool(row.disabled),
        zones=parse_cameras(row.zones),
    )


def _key(row: Any) -> ApiKey:
    return ApiKey(
        name=row.name,
        key_id=row.key_id,
        secret_hash=row.secret_hash,
        role=Role(row.role),
        cameras=parse_cameras(row.cameras),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        zones=parse_cameras(row.zones),
    )


def _entry(row: Any) -> AuditEntry:
    record = AuditRecord(
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        camera_id=row.camera_id,
        purpose=row.purpose,
        detail=row.detail,
    )
    return AuditEntry(int(row.seq), record, row.prev_hash, row.hash)
