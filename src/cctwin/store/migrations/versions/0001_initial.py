"""Initial schema: events, observations, alerts and their audit, camera status, media.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in cctwin.store.tables: a migration must not change when the
# models do. UtcDateTime stores as DateTime(timezone=True).
TIMESTAMP = sa.DateTime(timezone=True)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The map and the twin query camera and zone geometry with PostGIS.
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "events",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("frame_index", sa.BigInteger(), nullable=False),
        sa.Column("track_id", sa.BigInteger(), nullable=False),
        sa.Column("class_name", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(8), nullable=True),
        sa.Column("dwell_s", sa.Float(), nullable=True),
        sa.Column("stored_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_occurred_at", "events", ["occurred_at", "id"])
    op.create_index("ix_events_camera_id_occurred_at", "events", ["camera_id", "occurred_at", "id"])
    op.create_index("ix_events_kind_occurred_at", "events", ["kind", "occurred_at", "id"])
    op.create_index("ix_events_zone_id_occurred_at", "events", ["zone_id", "occurred_at", "id"])

    op.create_table(
        "observations",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("observed_at", TIMESTAMP, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("class_name", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_observations"),
    )
    op.create_index(
        "ix_observations_camera_rule_kind_at",
        "observations",
        ["camera_id", "rule_id", "kind", "observed_at"],
    )
    op.create_index("ix_observations_observed_at", "observations", ["observed_at"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("zone_id", sa.String(64), nullable=True),
        sa.Column("class_name", sa.String(64), nullable=True),
        sa.Column("assignee", sa.String(128), nullable=True),
        sa.Column("snapshot_id", sa.String(64), nullable=True),
        sa.Column("clip_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_opened_at", "alerts", ["opened_at", "id"])
    op.create_index("ix_alerts_status_opened_at", "alerts", ["status", "opened_at", "id"])
    op.create_index("ix_alerts_camera_id_opened_at", "alerts", ["camera_id", "opened_at", "id"])

    op.create_table(
        "alert_events",
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_events_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "event_id", name="pk_alert_events"),
    )
    op.create_index("ix_alert_events_event_id", "alert_events", ["event_id"])

    op.create_table(
        "alert_notes",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_notes_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_notes"),
    )
    op.create_index("ix_alert_notes_alert_id", "alert_notes", ["alert_id"])

    op.create_table(
        "alert_transitions",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_transitions_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_transitions"),
    )
    op.create_index("ix_alert_transitions_alert_id", "alert_transitions", ["alert_id"])

    op.create_table(
        "camera_status",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reported_at", TIMESTAMP, nullable=False),
        sa.Column("fps", sa.Float(), nullable=False),
        sa.Column("last_frame_at", TIMESTAMP, nullable=True),
        sa.Column("frames_decoded", sa.BigInteger(), nullable=False),
        sa.Column("frames_analysed", sa.BigInteger(), nullable=False),
        sa.Column("frames_dropped", sa.BigInteger(), nullable=False),
        sa.Column("frames_corrupt", sa.BigInteger(), nullable=False),
        sa.Column("reconnects", sa.BigInteger(), nullable=False),
        sa.Column("lag_s", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_camera_status"),
    )

    op.create_table(
        "media",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("event_id", sa.String(32), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_media"),
    )
    op.create_index("ix_media_event_id", "media", ["event_id"])


def downgrade() -> None:
    # The postgis extension stays: other schemas in the database may use it.
    for table in (
        "media",
        "camera_status",
        "alert_transitions",
        "alert_notes",
        "alert_events",
        "alerts",
        "observations",
        "events",
    ):
        op.drop_table(table)
