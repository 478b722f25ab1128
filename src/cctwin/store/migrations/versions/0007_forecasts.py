"""The forecast ledger: every zone forecast as issued, and its score once the truth arrived.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecasts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("quantity", sa.String(32), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("horizon_min", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("scale", sa.Float(), nullable=False),
        sa.Column("level", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
    )
    op.create_index(
        "ix_forecasts_zone_issued_at",
        "forecasts",
        ["camera_id", "rule_id", "quantity", "issued_at"],
    )
    op.create_index("ix_forecasts_target_at", "forecasts", ["target_at"])
    op.create_table(
        "forecast_scores",
        sa.Column("forecast_id", sa.String(32), nullable=False),
        sa.Column("truth", sa.Float(), nullable=False),
        sa.Column("abs_error", sa.Float(), nullable=False),
        sa.Column("baseline_abs_error", sa.Float(), nullable=False),
        sa.Column("scaled_error", sa.Float(), nullable=False),
        sa.Column("baseline_scaled_error", sa.Float(), nullable=False),
        sa.Column("inside_band", sa.Boolean(), nullable=False),
        sa.Column("level_right", sa.Boolean(), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecasts.id"],
            name=op.f("fk_forecast_scores_forecast_id_forecasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("forecast_id", name=op.f("pk_forecast_scores")),
    )


def downgrade() -> None:
    op.drop_table("forecast_scores")
    op.drop_index("ix_forecasts_target_at", table_name="forecasts")
    op.drop_index("ix_forecasts_zone_issued_at", table_name="forecasts")
    op.drop_table("forecasts")
