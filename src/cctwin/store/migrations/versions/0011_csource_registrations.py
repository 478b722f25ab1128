"""NGSI-LD context source registrations and their subscriptions (CIM 009 5.9, 5.11).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ngsi_csource_registrations",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_table(
        "ngsi_csource_subscriptions",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ngsi_csource_subscriptions")
    op.drop_table("ngsi_csource_registrations")
