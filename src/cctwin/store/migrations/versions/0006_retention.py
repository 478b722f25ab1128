"""Retention: a legal-hold flag on alerts and media, and an index to find old media.

Evidence on legal hold (an alert's snapshot, clip and events, or one media file) is kept
past its camera's retention days; the purge job skips it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("media") as batch:
        batch.add_column(
            sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_media_camera_id_created_at", ["camera_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_index("ix_media_camera_id_created_at")
        batch.drop_column("legal_hold")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("legal_hold")
