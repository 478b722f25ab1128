"""Safety analytics: event level, value and image region; observation level and method.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REGION = ("region_x1", "region_y1", "region_x2", "region_y2")


def upgrade() -> None:
    # Batch mode: SQLite cannot ALTER most things in place; PostgreSQL runs plain ALTERs.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("level", sa.String(32), nullable=True))
        batch.add_column(sa.Column("value", sa.Float(), nullable=True))
        for name in _REGION:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
    with op.batch_alter_table("observations") as batch:
        batch.add_column(sa.Column("level", sa.String(32), nullable=True))
        batch.add_column(sa.Column("method", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observations") as batch:
        batch.drop_column("method")
        batch.drop_column("level")
    with op.batch_alter_table("events") as batch:
        for name in reversed(_REGION):
            batch.drop_column(name)
        batch.drop_column("value")
        batch.drop_column("level")
