"""Scenario runs: every crowd or flood what-if with its inputs, versions and results.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migrations do not import the models; UtcDateTime stores as DateTime(timezone=True).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("versions", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail_path", sa.String(512), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_runs")),
    )
    op.create_index(op.f("ix_scenario_runs_name"), "scenario_runs", ["name"])
    op.create_index(op.f("ix_scenario_runs_created_at"), "scenario_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scenario_runs_created_at"), table_name="scenario_runs")
    op.drop_index(op.f("ix_scenario_runs_name"), table_name="scenario_runs")
    op.drop_table("scenario_runs")
