"""Who may call what: every operation of the OpenAPI document, anonymously and out of scope."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import event_of, grant
from fastapi import APIRouter
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.security.audit import verify
from cctwin.security.passwords import hash_password
from cctwin.security.roles import PERMISSIONS, Permission, Role
from cctwin.security.users import User
from cctwin.types import Alert, AlertStatus, EventKind, Severity

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

CONFIG = """
cameras:
  - {{id: cam-a, source: {{url: a.mp4}}}}
  - {{id: cam-b, source: {{url: b.mp4}}}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
service: {{allow_event_injection: true}}
security: {{login_attempts: 3}}
"""
PUBLIC = {
    "/api/health",
    "/api/auth/token",
    "/api/auth/session",
    "/api/auth/logout",
    "/api/catalogue",
}
T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    tmp = tmp_path_factory.mktemp("access")
    config = parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media"))
    services = Services(config, start_workers=False)
    event = event_of(
        kind="intrusion",
        camera_id="cam-a",
        rule_id="r",
        occurred_at=T0,
        frame_index=1,
        track_id=1,
        class_name="person",
        confidence=0.9,
        zone_id="lawn",
    )
    services.store.add_events([event])
    services.store.insert_alert(
        Alert(
            "al-a",
            "r",
            "cam-a",
            EventKind.INTRUSION,
            Severity.HIGH,
            AlertStatus.NEW,
            "Intrusion",
            T0,
            T0,
            (event.id,),
        )
    )
    shot = services.media.save_snapshot("cam-a", b"\xff\xd8jpeg\xff\xd9", T0, event.id)
    services.store.add_media(shot)
    services.store.add_user(
        User("kim", Role.OPERATOR, frozenset({"cam-a"}), hash_password("pw-kim"), T0)
    )
    app = create_app(services)
    # A router included after create_app (as the NGSI-LD API will be) is guarded all the same.
    later = APIRouter()

    @later.get("/ngsi-ld/v1/entities")
    async def entities() -> list[str]:
        return []

    app.include_router(later)
    with TestClient(app) as client:
        client.headers.update(grant(services.store, "root", "admin"))
        yield client, services


def _operations(client: TestClient, media_id: str) -> list[tuple[str, str, str]]:
    """(method, filled path, template) of every operation in the OpenAPI document."""
    document = client.get("/openapi.json").json()
    values = {"camera_id": "cam-a", "media_id": media_id, "alert_id": "al-a"}
    found = []
    for template, item in document["paths"].items():
        path = template
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        path = path.replace("{event_id}", "e").replace("{layer_id}", "l")
        found.extend((method.upper(), path, template) for method in item)
    return found


def _media_id(services: Services) -> str:
    with services.store._engine.connect() as connection:
        return str(connection.exec_driver_sql("SELECT id FROM media").scalar_one())


def test_every_operation_refuses_anonymous_callers(world: tuple[TestClient, Services]) -> None:
    client, services = world
    operations = _operations(client, _media_id(services))
    assert len(operations) >= 20
    anonymous = TestClient(client.app)
    for method, path, template in operations:
        response = anonymous.request(method, path)
        if template in PUBLIC:
            assert response.status_code != 401, (method, path)
        else:
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
    for path in ("/openapi.json", "/docs", "/metrics", "/api/stream", "/ngsi-ld/v1/entities"):
        assert anonymous.get(path).status_code == 401, path
    # The dashboard's files are public: they hold no data.
    assert anonymous.get("/login.html").status_code == 200
    assert anonymous.get("/api/health").status_code == 200


def test_camera_operations_answer_403_out_of_scope(world: tuple[TestClient, Services]) -> None:
    client, services = world
    outsider = grant(services.store, "b-only", "operator", "cam-b")
    media_id = _media_id(services)
    camera_bound = [
        op
        for op in _operations(client, media_id)
        if any(k in op[2] for k in ("{camera_id}", "{media_id}", "{alert_id}"))
    ]
    assert len(camera_bound) >= 7
    for method, path, _ in camera_bound:
        body = {"to": "acknowledged", "text": "x"} if method == "POST" else None
        response = client.request(method, path, headers=outsider, json=body)
        assert response.status_code == 403, (method, path, response.text)
    event_id = services.store.list_events(_no_filter(), 1, None).items[0].id
    for path in (
        "/api/events?camera=cam-a",
        "/api/alerts?camera=cam-a",
        "/api/observations?camera_id=cam-a",
        f"/api/events/{event_id}",
    ):
        assert client.get(path, headers=outsider).status_code == 403, path
    # Lists leave the other cameras out instead.
    assert [c["id"] for c in client.get("/api/cameras", headers=outsider).json()] == ["cam-b"]
    assert client.get("/api/events", headers=outsider).json()["items"] == []
    assert client.get("/api/alerts", headers=outsider).json()["items"] == []


def _no_filter() -> Any:
    from cctwin.store.sql import EventFilter

    return EventFilter()


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("planner", "/api/cameras/cam-a/live.jpg", 403),
        ("planner", "/api/snapshots/{media}.jpg", 403),
        ("planner", "/api/site", 200),
        ("planner", "/api/observations", 200),
        ("researcher", "/api/cameras", 403),
        ("researcher", "/api/events", 200),
        ("researcher", "/api/stream", 403),
        ("agency", "/api/snapshots/{media}.jpg", 200),
        ("operator", "/openapi.json", 200),
        ("operator", "/metrics", 403),
        ("operator", "/api/audit/verify", 403),
        ("privacy_officer", "/api/audit/verify", 200),
        ("privacy_officer", "/api/audit/export.csv", 200),
    ],
)
def test_roles_get_what_their_row_says(
    world: tuple[TestClient, Services], role: str, path: str, status: int
) -> None:
    client, services = world
    headers = grant(services.store, f"{role}-{abs(hash(path))}", role)
    path = path.replace("{media}", _media_id(services))
    assert client.get(path, headers=headers).status_code == status


def _required(app: Any) -> dict[tuple[str, str], frozenset[Permission]]:
    """(METHOD, path template) -> the permissions its `require(...)` dependencies demand."""
    from fastapi.routing import APIRoute

    def demanded(dependant: Any) -> set[Permission]:
        found: set[Permission] = set()
        for sub in dependant.dependencies:
            if sub.call is not None and getattr(sub.call, "__qualname__", "").startswith(
                "require."
            ):
                permission = inspect.getclosurevars(sub.call).nonlocals["permission"]
                found.add(permission)
            found |= demanded(sub)
        return found

    def walk(routes: Any) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):  # FastAPI's included router
                yield from walk(route.original_router.routes)

    return {
        (method, route.path): frozenset(demanded(route.dependant))
        for route in walk(app.routes)
        for method in route.methods
    }


# Endless answers (SSE, MJPEG): checked for refusals only.
_ENDLESS = {"/api/stream", "/api/cameras/{camera_id}/live.mjpeg"}


def test_every_operation_answers_each_role_as_its_row_says(
    world: tuple[TestClient, Services],
) -> None:
    """The role table walked over the OpenAPI document: an operation needing a permission
    the role's row lacks answers 403; one whose permissions it has never answers 403."""
    client, services = world
    required = _required(client.app)
    event_id = services.store.list_events(_no_filter(), 1, None).items[0].id
    values = {"event_id": event_id, "layer_id": "l", "run_id": "r", "grant_id": "g"}
    document = client.get("/openapi.json").json()
    checked = 0
    for role in Role:
        headers = grant(services.store, f"walk-{role.value}", role.value)
        for template, item in document["paths"].items():
            if template.startswith("/ngsi-ld/"):
                continue  # the NGSI-LD part checks its own rights (WRITE_TWIN, VIEW_TWIN)
            path = template
            for name, value in {**values, "camera_id": "cam-a", "alert_id": "al-a"}.items():
                path = path.replace("{" + name + "}", value)
            path = path.replace("{media_id}", _media_id(services))
            for method in item:
                needs = required[(method.upper(), template)]
                if not needs:
                    continue  # public, or checked inside (unmask: the right or one's own grant)
                allowed = needs <= PERMISSIONS[role]
                if allowed and (method != "get" or template in _ENDLESS):
                    continue  # no side effects, no endless streams
                status = client.request(method.upper(), path, headers=headers).status_code
                assert (status == 403) is not allowed, (role.value, method, template, status)
                checked += 1
    assert checked > 150


def test_a_researcher_replays_events_not_alerts(world: tuple[TestClient, Services]) -> None:
    client, services = world
    params = {"time": "2026-12-06T01:00:30+00:00"}
    everything = client.get("/api/twin/at", params=params).json()
    assert [a["id"] for a in everything["alerts"]] == ["al-a"]
    researcher = grant(services.store, "replay-researcher", "researcher")
    replayed = client.get("/api/twin/at", params=params, headers=researcher).json()
    assert replayed["alerts"] == []
    assert [e["id"] for e in replayed["events"]] == [e["id"] for e in everything["events"]]
    assert replayed["events"]
    assert replayed["cameras"] == []  # no live map for de-identified research


def test_a_planner_replays_the_twin_without_events_or_alerts(
    world: tuple[TestClient, Services],
) -> None:
    client, services = world
    params = {"time": "2026-12-06T01:00:30+00:00"}
    everything = client.get("/api/twin/at", params=params).json()
    assert everything["events"]
    planner = grant(services.store, "replay-planner", "planner")
    replayed = client.get("/api/twin/at", params=params, headers=planner)
    assert replayed.status_code == 200, replayed.text
    body = replayed.json()
    assert (body["events"], body["alerts"]) == ([], [])
    assert body["cameras"] == everything["cameras"]
    assert body["zones"] == everything["zones"]
    agency = grant(services.store, "replay-agency", "agency")
    assert client.get("/api/twin/at", params=params, headers=agency).status_code == 403


def test_password_login_gives_a_token_and_wrong_ones_are_limited(
    world: tuple[TestClient, Services],
) -> None:
    client, _ = world
    anonymous = TestClient(client.app)
    answer = anonymous.post("/api/auth/token", data={"username": "kim", "password": "pw-kim"})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    me = anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["name"], me["role"], me["cameras"]) == ("kim", "operator", ["cam-a"])
    assert "view_live" in me["permissions"]
    bad = {"Authorization": "Bearer " + token[:-2] + "xx"}
    assert "invalid token" in anonymous.get("/api/auth/me", headers=bad).json()["detail"]
    codes = [
        anonymous.post("/api/auth/token", data={"username": "kim", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # Even the right password waits for the window now.
    again = anonymous.post("/api/auth/token", data={"username": "kim", "password": "pw-kim"})
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) > 0


def test_dashboard_session_cookie_needs_csrf_on_unsafe_methods(
    world: tuple[TestClient, Services],
) -> None:
    client, services = world
    services.store.add_user(User("lee", Role.SUPERVISOR, None, hash_password("pw-lee"), T0))
    browser = TestClient(client.app)
    login = browser.post("/api/auth/session", json={"username": "lee", "password": "pw-lee"})
    assert login.status_code == 200, login.text
    cookie = login.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("cctwin_session="))
    assert "HttpOnly" in session
    assert "SameSite=strict" in session
    assert "Secure" not in session  # plain http in the test; https sets it
    csrf = login.json()["csrf_token"]
    assert browser.get("/api/cameras").status_code == 200
    url = "/api/alerts/al-a/notes"
    assert browser.post(url, json={"text": "hello"}).status_code == 401
    wrong = browser.post(url, json={"text": "hello"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 401
    noted = browser.post(
        url, json={"text": "hello", "author": "someone-else"}, headers={"X-CSRF-Token": csrf}
    )
    assert noted.status_code == 201, noted.text
    # The acting user comes from the session, never from the body.
    assert noted.json()["notes"][-1]["author"] == "lee"
    assert browser.post("/api/auth/logout").status_code == 204
    assert browser.get("/api/cameras").status_code == 401


def test_viewings_and_transitions_are_audited_in_an_intact_chain(
    world: tuple[TestClient, Services],
) -> None:
    client, services = world
    viewer = grant(services.store, "viewer", "supervisor")
    media_id = _media_id(services)
    before = len(list(services.store.audit_entries()))
    assert client.get(f"/api/snapshots/{media_id}.jpg", headers=viewer).status_code == 200
    moved = client.post(
        "/api/alerts/al-a/transitions", json={"to": "acknowledged", "by": "x"}, headers=viewer
    )
    assert moved.status_code == 200, moved.text
    rows = list(services.store.audit_entries())[before:]
    assert [(r.record.actor, r.record.action, r.record.camera_id) for r in rows] == [
        ("key:viewer", "view.snapshot", "cam-a"),
        ("key:viewer", "alert.transition", "cam-a"),
    ]
    assert verify(services.store.audit_entries()) is None
    officer = grant(services.store, "officer", "privacy_officer")
    check = client.get("/api/audit/verify", headers=officer).json()
    assert check["intact"] is True
    assert check["rows"] == len(list(services.store.audit_entries()))
    exported = client.get("/api/audit/export.csv?purpose=complaint 12", headers=officer)
    assert exported.text.splitlines()[0].startswith("seq,at,actor,action")
    last = list(services.store.audit_entries())[-1].record
    assert (last.actor, last.action, last.purpose) == ("key:officer", "export", "complaint 12")


def test_first_start_creates_admin_once(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    for _ in range(2):
        services = Services(config, start_workers=False)
        with TestClient(create_app(services)):
            pass
    lines = [x for x in capfd.readouterr().err.splitlines() if "created user 'admin'" in x]
    assert len(lines) == 1
    password = lines[0].split("password ")[1].split()[0]
    services = Services(config, start_workers=False)
    with TestClient(create_app(services)) as client:
        answer = client.post("/api/auth/token", data={"username": "admin", "password": password})
    assert answer.status_code == 200
