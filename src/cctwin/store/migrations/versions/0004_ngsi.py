"""NGSI-LD broker: entities, temporal attribute instances, subscriptions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
_AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ngsi_entities",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("type", sa.String(512), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("modified_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_ngsi_entities_type", "ngsi_entities", ["type"])
    op.create_table(
        "ngsi_extra_types",
        sa.Column("entity_id", sa.String(256), primary_key=True),
        sa.Column("type", sa.String(512), primary_key=True),
    )
    op.create_index("ix_ngsi_extra_types_type", "ngsi_extra_types", ["type"])
    op.create_table(
        "ngsi_instances",
        sa.Column("id", _AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("entity_id", sa.String(256), nullable=False),
        sa.Column("attr", sa.String(512), nullable=False),
        sa.Column("observed_ts", sa.Float(), nullable=False),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("resolution_s", sa.Float(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_ngsi_instances_entity_attr_ts", "ngsi_instances", ["entity_id", "attr", "observed_ts"]
    )
    op.create_index("ix_ngsi_instances_observed_ts", "ngsi_instances", ["observed_ts"])
    op.create_table(
        "ngsi_subscriptions",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ngsi_subscriptions")
    op.drop_index("ix_ngsi_instances_observed_ts", "ngsi_instances")
    op.drop_index("ix_ngsi_instances_entity_attr_ts", "ngsi_instances")
    op.drop_table("ngsi_instances")
    op.drop_index("ix_ngsi_extra_types_type", "ngsi_extra_types")
    op.drop_table("ngsi_extra_types")
    op.drop_index("ix_ngsi_entities_type", "ngsi_entities")
    op.drop_table("ngsi_entities")
