"""Unmask grants (a privacy officer's time-limited, reasoned right to see unmasked footage),
and zone scopes of users and API keys.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unmask_grants",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("grantee", sa.String(100), nullable=False),
        sa.Column("cameras", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmask_grants")),
    )
    op.create_index(op.f("ix_unmask_grants_grantee"), "unmask_grants", ["grantee"])
    op.create_index(op.f("ix_unmask_grants_ended_at"), "unmask_grants", ["ended_at"])
    for table in ("users", "api_keys"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("zones", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("api_keys", "users"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("zones")
    op.drop_index(op.f("ix_unmask_grants_ended_at"), "unmask_grants")
    op.drop_index(op.f("ix_unmask_grants_grantee"), "unmask_grants")
    op.drop_table("unmask_grants")
