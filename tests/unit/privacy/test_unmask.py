"""Unmask grants: the right and a reason, expiry, scope, unmasked media only under a grant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.privacy.unmask import UnmaskRefusedError, UnmaskRequest, UnmaskService
from cctwin.security.audit import verify
from cctwin.security.roles import Principal, Role

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - {{id: cam-a, source: {{url: a.mp4}}}}
  - {{id: cam-b, source: {{url: b.mp4}}}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
privacy: {{mask: true, unmask_max_minutes: 30, unmask_reason_min_chars: 12}}
"""
T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
MASKED, ORIGINAL = b"\xff\xd8masked\xff\xd9", b"\xff\xd8original\xff\xd9"
OFFICER = Principal("lee", "user", Role.PRIVACY_OFFICER)
REASON = "police request 2026-123 (assault at the plaza)"


def _services(tmp: Path) -> Services:
    config = parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media"))
    return Services(config, start_workers=False)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_grant_rules_and_expiry(tmp_path: Path) -> None:
    services = _services(tmp_path)
    clock = Clock()
    unmask = UnmaskService(services.store, services.config, lambda n: n == "kim", clock)
    operator = Principal("kim", "user", Role.OPERATOR)
    ask = UnmaskRequest(cameras=["cam-a"], reason=REASON, minutes=10)
    with pytest.raises(UnmaskRefusedError, match="may not unmask") as refused:
        unmask.grant(operator, ask)
    assert refused.value.status == 403
    for bad, words in (
        ({"reason": "because ok!"}, "at least 12"),
        ({"minutes": 31}, "at most 30"),
        ({"cameras": ["cam-x"]}, "no camera 'cam-x'"),
        ({"user": "nobody"}, "no user 'nobody'"),
    ):
        with pytest.raises(UnmaskRefusedError, match=words):
            unmask.grant(OFFICER, ask.model_copy(update=bad))
    scoped = Principal("park", "user", Role.PRIVACY_OFFICER, frozenset({"cam-b"}))
    with pytest.raises(UnmaskRefusedError, match="outside your scope"):
        unmask.grant(scoped, ask)

    issued = unmask.grant(OFFICER, ask.model_copy(update={"user": "kim"}))
    assert issued.grantee == "user:kim"
    assert issued.issued_by == "user:lee"
    assert issued.expires_at == T0 + timedelta(minutes=10)
    assert issued.purpose == "crime prevention and public safety"  # the camera's purpose
    assert unmask.grant_for(operator, "cam-a") == issued
    assert unmask.grant_for(operator, "cam-b") is None
    assert unmask.grant_for(OFFICER, "cam-a") is None  # issued for kim, not for lee
    assert unmask.active(operator) == [issued]
    assert unmask.active(scoped) == []  # the officer of cam-b does not see cam-a's grants

    clock.now = T0 + timedelta(minutes=10)
    assert unmask.grant_for(operator, "cam-a") is None
    assert unmask.expire() == 0  # grant_for already closed it; it is not closed twice
    rows = [e.record for e in services.store.audit_entries()]
    actions = [(r.action, r.actor) for r in rows if r.action.startswith("unmask")]
    assert actions == [("unmask", "user:lee"), ("unmask.expired", "service")]
    assert all(REASON in r.detail for r in rows if r.action.startswith("unmask"))
    assert verify(services.store.audit_entries()) is None


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, Services, str]]:
    services = _services(tmp_path)
    shot = services.media.save_snapshot("cam-a", MASKED, T0, "e1")
    services.store.add_media(shot)
    services.originals.save(shot, ORIGINAL)
    with TestClient(create_app(services)) as client:
        yield client, services, shot.id


def test_snapshots_are_masked_until_a_grant_and_again_after_it(
    world: tuple[TestClient, Services, str],
) -> None:
    client, services, media_id = world
    officer = grant(services.store, "lee", "privacy_officer")
    operator = grant(services.store, "kim", "operator")
    url = f"/api/snapshots/{media_id}.jpg"
    assert client.get(url, headers=officer).content == MASKED

    refused = client.post(
        "/api/privacy/unmask", json={"cameras": ["cam-a"], "reason": REASON}, headers=operator
    )
    assert refused.status_code == 403
    short = client.post(
        "/api/privacy/unmask", json={"cameras": ["cam-a"], "reason": "because ok!"}, headers=officer
    )
    assert short.status_code == 422
    assert "at least 12" in short.json()["detail"]
    unknown = {"cameras": ["cam-x"], "reason": REASON}
    assert client.post("/api/privacy/unmask", json=unknown, headers=officer).status_code == 404
    made = client.post(
        "/api/privacy/unmask",
        json={"cameras": ["cam-a"], "reason": REASON, "minutes": 5},
        headers=officer,
    )
    assert made.status_code == 201, made.text
    grant_id = made.json()["id"]
    shown = client.get(url, headers=officer)
    assert shown.content == ORIGINAL
    assert shown.headers["x-cctwin-unmask-grant"] == grant_id
    assert client.get(url, headers=operator).content == MASKED  # the grant is lee's own
    assert [g["id"] for g in client.get("/api/privacy/unmask", headers=officer).json()] == [
        grant_id
    ]
    assert client.get("/api/privacy/unmask", headers=operator).json() == []

    assert client.delete(f"/api/privacy/unmask/{grant_id}", headers=operator).status_code == 403
    assert client.delete(f"/api/privacy/unmask/{grant_id}", headers=officer).status_code == 200
    assert client.delete(f"/api/privacy/unmask/{grant_id}", headers=officer).status_code == 404
    after = client.get(url, headers=officer)
    assert after.content == MASKED
    assert "x-cctwin-unmask-grant" not in after.headers
    actions = [e.record.action for e in services.store.audit_entries()]
    assert actions.count("unmask") == 1
    assert actions.count("unmask.use") == 1
    assert actions.count("unmask.end") == 1


def test_live_view_is_unmasked_once_the_worker_answers_the_want(
    world: tuple[TestClient, Services, str],
) -> None:
    from cctwin.messages import LivePreview

    client, services, _ = world
    officer = grant(services.store, "lee", "privacy_officer")
    admin = grant(services.store, "root", "admin")
    services.live.previews["cam-a"] = LivePreview(camera_id="cam-a", jpeg=MASKED, captured_at=T0)
    body = {"cameras": ["cam-a"], "reason": REASON}
    assert client.post("/api/privacy/unmask", json=body, headers=officer).status_code == 201
    # A privacy officer has no live right at all; an admin with a grant does.
    assert client.get("/api/cameras/cam-a/live.jpg", headers=officer).status_code == 403
    assert client.post("/api/privacy/unmask", json=body, headers=admin).status_code == 201
    first = client.get("/api/cameras/cam-a/live.jpg", headers=admin)
    assert first.content == MASKED  # the worker has not written an unmasked frame yet
    assert services.originals.live_wanted("cam-a")
    services.originals.save_live("cam-a", ORIGINAL)  # what the worker does while wanted
    assert client.get("/api/cameras/cam-a/live.jpg", headers=admin).content == ORIGINAL


def test_a_purge_removes_the_original_with_its_masked_copy(
    world: tuple[TestClient, Services, str],
) -> None:
    from cctwin.store.retention import purge_past_retention

    _, services, media_id = world
    record = services.store.get_media(media_id)
    assert record is not None
    original = services.originals.path_of(record)
    assert original.is_file()
    assert oct(original.parent.stat().st_mode & 0o777) == "0o700"
    purge_past_retention(services.store, services.config, T0 + timedelta(days=31))
    assert not original.exists()
