"""The message contract: event payloads as JSON, observation fact ids, Korean alert titles.

Events keep their kind-specific fields in one `payload` column (the wire model's typed
payload) instead of one column per field; existing rows are converted. Image regions were
analysis pixels before this revision; they cannot be normalised without the frame size, so
pixel regions (any value above 1) are dropped rather than misdrawn.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REGION = ("region_x1", "region_y1", "region_x2", "region_y2")
_LEGACY = ("direction", "dwell_s", "level", "value", *_REGION)
_PAYLOAD_TYPE = {
    "zone_enter": "object",
    "zone_exit": "object",
    "loitering": "object",
    "intrusion": "object",
    "line_cross": "crossing",
    "crowdRisk": "crowd",
    "flood": "flood",
    "buildingFire": "fire",
    "smoke": "fire",
    "fallenPerson": "fall",
}
_FIELDS = {
    "object": ("dwell_s",),
    "crossing": ("direction",),
    "crowd": ("level", "value", "region"),
    "flood": ("level", "value", "region"),
    "fire": ("region",),
    "fall": ("dwell_s", "region"),
}


def _payload(row: Any) -> str:
    kind = _PAYLOAD_TYPE.get(row.kind, "object")
    region = [getattr(row, name) for name in _REGION]
    normalised = None not in region and all(0.0 <= v <= 1.0 for v in region)
    values = {
        "dwell_s": row.dwell_s,
        "direction": row.direction or "in",
        "level": row.level or "normal",
        "value": 0.0 if row.value is None else row.value,
        "region": region if normalised else None,
    }
    payload = {"type": kind, **{name: values[name] for name in _FIELDS[kind]}}
    return json.dumps(payload, separators=(",", ":"))


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
    connection = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.String),
        sa.column("kind", sa.String),
        sa.column("payload", sa.Text),
        *(sa.column(name) for name in _LEGACY),
    )
    rows = connection.execute(sa.select(events.c.id, events.c.kind, *events.c[_LEGACY])).all()
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        connection.execute(
            events.update().where(events.c.id == sa.bindparam("row_id")),
            [{"row_id": row.id, "payload": _payload(row)} for row in chunk],
        )
    with op.batch_alter_table("events") as batch:
        for name in _LEGACY:
            batch.drop_column(name)
    with op.batch_alter_table("observations") as batch:
        batch.add_column(sa.Column("fact_id", sa.String(32), nullable=True))
        batch.create_index("ix_observations_fact_id", ["fact_id"], unique=True)
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("title_ko", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("title_ko")
    with op.batch_alter_table("observations") as batch:
        batch.drop_index("ix_observations_fact_id")
        batch.drop_column("fact_id")
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("direction", sa.String(8), nullable=True))
        batch.add_column(sa.Column("dwell_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("level", sa.String(32), nullable=True))
        batch.add_column(sa.Column("value", sa.Float(), nullable=True))
        for name in _REGION:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch.drop_column("payload")
