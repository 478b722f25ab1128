"""Unmask grants in SQL (privacy/unmask.py holds the rules, this the rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from cctwin.privacy.unmask import UnmaskGrant
from cctwin.store.database import Database
from cctwin.store.tables import Base, UnmaskGrantRow

GRANTS = Base.metadata.tables[UnmaskGrantRow.__tablename__]


class UnmaskTables(Database):
    """The unmask_grants table."""

    def add_grant(self, grant: UnmaskGrant) -> None:
        with self._write() as connection:
            connection.execute(
                GRANTS.insert().values(
                    id=grant.id,
                    grantee=grant.grantee,
                    cameras=",".join(grant.cameras),
                    reason=grant.reason,
                    purpose=grant.purpose,
                    issued_by=grant.issued_by,
                    issued_at=grant.issued_at,
                    expires_at=grant.expires_at,
                    ended_at=grant.ended_at,
                )
            )

    def get_grant(self, grant_id: str) -> UnmaskGrant | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(GRANTS).where(GRANTS.c.id == grant_id)).first()
        return None if row is None else _grant(row)

    def open_grants(self) -> list[UnmaskGrant]:
        """Grants not ended yet (some may be past expiry until the sweep closes them)."""
        statement = select(GRANTS).where(GRANTS.c.ended_at.is_(None)).order_by(GRANTS.c.issued_at)
        with self._engine.connect() as connection:
            return [_grant(r) for r in connection.execute(statement)]

    def end_grant(self, grant_id: str, at: datetime) -> bool:
        """True when this call ended it (it was open)."""
        with self._write() as connection:
            result = connection.execute(
                update(GRANTS)
                .where(GRANTS.c.id == grant_id, GRANTS.c.ended_at.is_(None))
                .values(ended_at=at)
            )
        return bool(result.rowcount)


def _grant(row: Any) -> UnmaskGrant:
    return UnmaskGrant(
        id=row.id,
        grantee=row.grantee,
        cameras=[c for c in row.cameras.split(",") if c],
        reason=row.reason,
        purpose=row.purpose,
        issued_by=row.issued_by,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
    )
