"""Users of the control centre as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cctwin.security.roles import Principal, Role


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    cameras: frozenset[str] | None
    password_hash: str
    created_at: datetime
    disabled: bool = False
    zones: frozenset[str] | None = None

    def principal(self) -> Principal:
        return Principal(self.name, "user", self.role, self.cameras, self.zones)
