"""Alert transitions from any source and configuration changes reach the audit log."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import event_of, grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.security.audit import verify
from cctwin.security.service import on_start

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - {{id: cam-a, source: {{url: a.mp4}}}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
service: {{allow_event_injection: true}}
alerts:
  rules:
    - {{id: lawn, name: Lawn, event_kinds: [intrusion], severity: {severity}}}
"""


def _services(tmp: Path, severity: str = "high") -> Services:
    text = CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media", severity=severity)
    return Services(parse_config(text), start_workers=False)


def _actions(services: Services) -> list[tuple[str, str, str]]:
    return [
        (e.record.action, e.record.actor, e.record.target) for e in services.store.audit_entries()
    ]


def test_engine_openings_and_operator_moves_are_audited_once_each(tmp_path: Path) -> None:
    services = _services(tmp_path)
    event = event_of(kind="intrusion", camera_id="cam-a", rule_id="lawn",
                     occurred_at=datetime.now(UTC), frame_index=1, track_id=1,
                     class_name="person", confidence=0.9, zone_id="z")  # fmt: skip
    with TestClient(create_app(services)) as client:
        headers = grant(services.store, "kim", "operator")
        integrator = grant(services.store, "feed", "integrator")
        posted = client.post(
            "/api/events",
            content=event.model_dump_json(),
            headers=integrator | {"Content-Type": "application/json"},
        )
        assert posted.status_code == 201, posted.text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not services.store.open_alerts():
            time.sleep(0.05)
        alert_id = services.store.open_alerts()[0].id
        moved = client.post(
            f"/api/alerts/{alert_id}/transitions", json={"to": "acknowledged"}, headers=headers
        )
        assert moved.status_code == 200, moved.text
        while time.monotonic() < deadline and not any(
            a[0] == "alert.opened" for a in _actions(services)
        ):
            time.sleep(0.05)
    actions = _actions(services)
    assert actions.count(("alert.opened", "service", alert_id)) == 1
    assert actions.count(("alert.transition", "key:kim", alert_id)) == 1
    assert verify(services.store.audit_entries()) is None


def test_a_changed_config_is_audited_with_both_hashes_and_the_host_user(tmp_path: Path) -> None:
    first = _services(tmp_path)
    on_start(first.auth, first.config.model_dump_json(), actor="cli:ops")
    on_start(first.auth, first.config.model_dump_json(), actor="cli:ops")  # unchanged
    first.store.close()
    second = _services(tmp_path, severity="critical")
    on_start(second.auth, second.config.model_dump_json(), actor="cli:ops")
    rows = [e.record for e in second.store.audit_entries()]
    changed = [r for r in rows if r.action == "config.changed"]
    loaded = [r.detail for r in rows if r.action == "config.loaded"]
    assert len(changed) == 1
    assert changed[0].actor == "cli:ops"
    assert changed[0].detail == f"{loaded[1]} -> {loaded[2]}"
    assert loaded[0] == loaded[1] != loaded[2]
