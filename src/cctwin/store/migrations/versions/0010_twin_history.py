"""Twin history: one-minute rollups keep the maximum and the last value beside the mean.

Older history becomes one row per attribute and minute; `number` holds the mean, `high` the
maximum and `last` the last value of the minute, so replay and charts over 30 days show peaks
and the state at the end of each minute, not only averages. An (attr, time) index finds the
newest values of the few attributes replay shows without reading every attribute's rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ngsi_instances") as batch:
        batch.add_column(sa.Column("high", sa.Float(), nullable=True))
        batch.add_column(sa.Column("last", sa.Float(), nullable=True))
        batch.create_index("ix_ngsi_instances_attr_ts", ["attr", "observed_ts"])


def downgrade() -> None:
    with op.batch_alter_table("ngsi_instances") as batch:
        batch.drop_index("ix_ngsi_instances_attr_ts")
        batch.drop_column("last")
        batch.drop_column("high")
