"""Migration 0003: events stored before the message contract come back as wire models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command

from cctwin.messages import CrossingPayload, CrowdPayload, Direction, FirePayload, ObjectPayload
from cctwin.store.engine import create_store_engine
from cctwin.store.migrate import alembic_config
from cctwin.store.sql import SqlStore

AT = "2026-11-30 09:00:00.000000"


def test_legacy_rows_get_their_typed_payload(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    command.upgrade(alembic_config(engine), "0002")
    columns = (
        "id, kind, camera_id, rule_id, zone_id, occurred_at, frame_index, track_id, "
        "class_name, confidence, direction, dwell_s, level, value, "
        "region_x1, region_y1, region_x2, region_y2, stored_at"
    )
    rows = [
        ("a" * 32, "line_cross", "in", None, None, None, None),
        ("b" * 32, "loitering", None, 42.5, None, None, None),
        ("c" * 32, "crowdRisk", None, None, "alert", 4.2, (0.1, 0.2, 0.5, 0.9)),
        # Pixel regions (before regions were normalised) are dropped, not misdrawn.
        ("d" * 32, "buildingFire", None, None, None, None, (10.0, 20.0, 300.0, 200.0)),
    ]
    with engine.begin() as connection:
        for event_id, kind, direction, dwell, level, value, region in rows:
            x1, y1, x2, y2 = region or (None, None, None, None)
            connection.exec_driver_sql(
                f"INSERT INTO events ({columns}) VALUES "
                "(?, ?, 'cam-1', 'r', 'z', ?, 5, 3, 'person', 0.9, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event_id, kind, AT, direction, dwell, level, value, x1, y1, x2, y2, AT),
            )
    engine.dispose()

    store = SqlStore.open_url(url)  # migrates to the newest revision
    try:
        payloads = [store.get_event(row[0]).payload for row in rows]  # type: ignore[union-attr]
        event = store.get_event("a" * 32)
    finally:
        store.close()
    assert payloads == [
        CrossingPayload(direction=Direction.IN),
        ObjectPayload(dwell_s=42.5),
        CrowdPayload(level="alert", value=4.2, region=(0.1, 0.2, 0.5, 0.9)),
        FirePayload(region=None),
    ]
    assert event is not None
    assert event.occurred_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    # The stored id is kept even though it is not the one the key would derive.
    assert event.id == "a" * 32
