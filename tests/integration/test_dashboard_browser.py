"""The dashboard in a real browser against a real `cctwin up`: map, live alerts, workflow, i18n.

Debian's Chromium (never a Playwright-downloaded one) loads the page the service serves from
web/, with MapLibre vendored by `make web`. Two looping synthetic H.264 cameras stand near
Gongdeok station in 공덕동 (마포구). Synthetic clips hold no people for the real detector, so
the test injects an event through `POST /api/events`, which the service accepts only when the
config sets `service.allow_event_injection: true`; the alert it opens must reach the page over
SSE, be acknowledged from its card, and the language toggle must switch the labels.
Screenshots go to var/test-artifacts/dashboard-*.png.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cctwin.bench.clips import MovingBox, write_synthetic_clip

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
MAPLIBRE = REPO / "web" / "vendor" / "maplibre-gl.mjs"
ARTIFACTS = REPO / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
CAMERAS = {
    # Either side of Gongdeok station (126.9515, 37.5441), looking at the crossing.
    "gongdeok-1": ("공덕역 1번 출구", 126.9510, 37.5444, 120.0),
    "gongdeok-2": ("공덕역 5번 출구", 126.9521, 37.5437, 300.0),
}
ZONE = "plaza"
SITE_OSM = REPO / "config" / "site" / "gongdeok.osm"
# A map zone straddling gongdeok-1's footprint edge: partly seen, so it reports its share.
MAP_ZONE = [[126.9512, 37.5443], [126.9518, 37.5443], [126.9518, 37.5440], [126.9512, 37.5440]]
TWIN_JS = """async () => {
    const map = window.cctwin.map;
    const buildings = map.getLayer('site-buildings-0');
    const footprints = await map.getSource('footprints').getData();
    const zones = await map.getSource('map-zones').getData();
    return {
        buildingLayer: buildings ? buildings.type : null,
        buildings: (await map.getSource('site-buildings').getData()).features.length,
        renderedBuildings: map.queryRenderedFeatures({layers: ['site-buildings-0']}).length,
        footprints: footprints.features.filter((f) => f.properties.kind === 'footprint')
            .map((f) => [f.properties.camera_id, f.geometry.type, f.properties.area_m2]),
        renderedFootprints: map.queryRenderedFeatures({layers: ['footprint-fill']}).length,
        coneVisibility: map.getLayoutProperty('camera-fov', 'visibility'),
        zones: zones.features.map((f) => [f.properties.zone_id, f.properties.visible_share]),
        attribution: document.querySelector('#osm-attribution').textContent,
    };
}"""
# Per tile: the camera's name, how far its caption reaches below the tile, the caption height.
CAPTION_OVERHANG_JS = """() => [...document.querySelectorAll('#wall figure.tile')].map((tile) => {
    const caption = tile.querySelector('figcaption').getBoundingClientRect();
    return [tile.querySelector('.name').innerText,
            caption.bottom - tile.getBoundingClientRect().bottom, caption.height];
})"""
STARTUP_S = 90.0


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (scripts/install-system-packages.sh installs Chromium)"
    if not MAPLIBRE.exists():
        return f"{MAPLIBRE.relative_to(REPO)} is absent (run `make web` to vendor MapLibre)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    return None


pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    admin_password: str = ""
    token: str = ""

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _request(
    url: str, body: dict[str, Any] | None = None, timeout: float = 5.0, token: str = ""
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    request.add_header("Accept", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _json_or_text(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json_or_text(error.read())


def _json_or_text(raw: bytes) -> Any:
    # Errors from outside the API's handlers (a crash: 500) come as plain text.
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def _write_config(tmp: Path) -> Path:
    cameras = []
    for index, (camera_id, (name, lon, lat, heading)) in enumerate(CAMERAS.items()):
        clip = write_synthetic_clip(
            tmp / f"{camera_id}.mp4",
            width=640,
            height=360,
            fps=10,
            seconds=4,
            gop=10,
            moving_boxes=[MovingBox((60, 200), (580, 200), (40, 80), (40, 40, 200))],
            seed=index,
        )
        cameras.append(
            {
                "id": camera_id,
                "name": name,
                "source": {"url": str(clip), "loop": True},
                # Few frames keep the CPU free for the browser; the test needs no detections.
                "sampling": {"mode": "fps", "fps": 2},
                "analytics": {
                    "zones": [
                        {"id": ZONE, "name": "광장", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}
                    ]
                },
                "placement": {
                    "lon": lon,
                    "lat": lat,
                    "heading_deg": heading,
                    "fov_deg": 70,
                    "range_m": 60,
                },
            }
        )
    config = {
        "version": 1,
        "cameras": cameras,
        "alerts": {
            "rules": [
                {
                    "id": "plaza-entry",
                    "name": "광장 진입",
                    "event_kinds": ["zone_enter"],
                    "zones": [ZONE],
                    "severity": "high",
                }
            ]
        },
        "store": {"type": "sqlite", "path": str(tmp / "cctwin.db")},
        "media": {"path": str(tmp / "media")},
        "site": {
            "name": "공덕 관제센터",
            "district": "공덕동",
            "sigungu": "마포구",
            "zoom": 15,
            # The committed Gongdeok OSM extract: 3D buildings, and occlusion of footprints.
            "osm": str(SITE_OSM),
            "zones": [{"id": "crossing", "name": "교차로", "polygon": MAP_ZONE}],
        },
        "service": {
            "host": "127.0.0.1",
            "workers": 1,
            "status_interval_s": 1.0,
            "language": "ko",
            "allow_event_injection": True,
        },
    }
    path = tmp / "cctwin.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("dashboard")
    config = _write_config(tmp)
    port = _free_port()
    log = tmp / "service.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "cctwin", "up", "--config", str(config), "--port", str(port)],
            cwd=tmp,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    running = Service(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"`cctwin up` exited with {process.returncode}:\n{running.log_tail()}")
            try:
                status, body = _request(f"{running.base_url}/api/health", timeout=2)
                if status == 200 and body.get("status") == "ok":
                    break
            except (OSError, ValueError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(f"`cctwin up` not healthy after {STARTUP_S} s:\n{running.log_tail()}")
            time.sleep(0.5)
        _log_in(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _log_in(service: Service) -> None:
    """The admin password the first start printed, and an access token for the API calls."""
    line = next(x for x in service.log_tail(100_000).splitlines() if "user 'admin'" in x)
    service.admin_password = line.split("password ")[1].split()[0]
    form = urllib.parse.urlencode({"username": "admin", "password": service.admin_password})
    request = urllib.request.Request(
        f"{service.base_url}/api/auth/token", data=form.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        service.token = json.loads(response.read())["access_token"]


def _inject(service: Service, camera_id: str, class_name: str = "person") -> dict[str, Any]:
    status, body = _request(
        f"{service.base_url}/api/events",
        {
            "kind": "zone_enter",
            "camera_id": camera_id,
            "rule_id": ZONE,
            "zone_id": ZONE,
            "occurred_at": datetime.now(UTC).isoformat(),
            "frame_index": 1,
            "track_id": 1,
            "class_name": class_name,
            "confidence": 0.9,
        },
        token=service.token,
    )
    assert status == 201, f"POST /api/events -> {status} {body}\n{service.log_tail()}"
    assert isinstance(body, dict)
    return body


def _catalogue(service: Service, language: str) -> dict[str, str]:
    status, body = _request(f"{service.base_url}/api/catalogue?lang={language}")
    assert status == 200, body
    messages: dict[str, str] = body["messages"]
    return messages


# Marks an element with a JS property: it survives moves and edits of the node, but not its
# replacement by a freshly built one, which is what incremental rendering must avoid.
MARK_JS = "([selector, mark]) => { document.querySelector(selector).cctwinMark = mark; }"
MARKS_JS = "(selector) => [...document.querySelectorAll(selector)].map((e) => e.cctwinMark || null)"


def test_dashboard_map_alerts_acknowledge_and_language(service: Service) -> None:
    from playwright.sync_api import sync_playwright

    ko, en = _catalogue(service, "ko"), _catalogue(service, "en")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_errors: list[str] = []
    console_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                viewport={"width": 1600, "height": 1000}, locale="ko-KR", timezone_id="Asia/Seoul"
            )
            page = context.new_page()
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    console_errors.append(message.text) if message.type == "error" else None
                ),
            )

            # --- the page loads, the map draws the district and both cameras -----------------
            # --- the dashboard sends a new visitor to the login page, and back after it ------
            page.goto(service.base_url + "/")
            try:
                page.wait_for_url(lambda url: "/login.html?next=" in url, timeout=30_000)
            except Exception:
                raise AssertionError(
                    f"no redirect to login: {page.url}; page errors {page_errors}, "
                    f"console errors {console_errors}"
                ) from None
            page.fill("#username", "admin")
            page.fill("#password", "wrong")
            page.click("#login-submit")
            page.locator("#login-error").wait_for(state="visible", timeout=10_000)
            page.fill("#password", service.admin_password)
            page.click("#login-submit")
            page.wait_for_url(service.base_url + "/", timeout=30_000)
            # The failed requests before the login (401) and the wrong password are expected.
            console_errors.clear()
            try:
                page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "dashboard-not-ready.png"))
                raise AssertionError(
                    f"dashboard never became ready; page errors {page_errors}, "
                    f"console errors {console_errors}\n{service.log_tail()}"
                ) from None
            assert page.locator("#map canvas.maplibregl-canvas").count() == 1
            counts = page.evaluate(
                """async () => {
                    const map = window.cctwin.map;
                    const cameras = await map.getSource('cameras').getData();
                    const district = await map.getSource('district').getData();
                    const kinds = cameras.features.map((f) => f.properties.kind);
                    return {
                        cameras: kinds.filter((k) => k === 'camera').length,
                        cones: kinds.filter((k) => k === 'fov').length,
                        district: district.features.map((f) => f.properties.name),
                        rendered: map.queryRenderedFeatures({layers: ['camera-point']}).length,
                    };
                }"""
            )
            assert counts["cameras"] == 2, counts
            assert counts["cones"] == 2, counts
            assert counts["district"] == ["공덕동"], counts
            assert counts["rendered"] == 2, counts

            # --- the district in 3D, and each camera's ground footprint -------------------------
            page.evaluate(
                "() => { window.cctwin.map.jumpTo({center: [126.9516, 37.5442], zoom: 17.3, "
                "pitch: 55, bearing: -20}); }"
            )
            page.evaluate("() => new Promise((r) => window.cctwin.map.once('idle', r))")
            twin = page.evaluate(TWIN_JS)
            assert twin["buildingLayer"] == "fill-extrusion", twin
            assert twin["buildings"] > 20, twin
            assert twin["renderedBuildings"] > 0, twin
            assert sorted(c for c, _, _ in twin["footprints"]) == sorted(CAMERAS), twin
            assert all(area > 50 for _, _, area in twin["footprints"]), twin
            assert twin["renderedFootprints"] > 0, twin
            assert twin["coneVisibility"] == "none", twin
            ((zone_id, share),) = twin["zones"]
            assert zone_id == "crossing", twin
            assert 0 < share < 1, twin
            assert "OpenStreetMap" in twin["attribution"], twin
            page.screenshot(path=str(ARTIFACTS / "dashboard-3d.png"))
            page.evaluate("() => { window.cctwin.map.jumpTo({pitch: 0, bearing: 0, zoom: 15}); }")
            assert page.locator("#wall figure.tile").count() == 2
            assert page.locator(".subtitle").inner_text() == "통합관제센터 디지털 트윈"
            assert page.locator("#site-name").inner_text() == "공덕 관제센터"
            # Live frames arrive once the workers have analysed one (a loaded <img> per tile).
            page.wait_for_function(
                "document.querySelectorAll('#wall figure.tile[data-loaded=\"1\"]').length === 2",
                timeout=30_000,
            )
            page.wait_for_selector("#connection[data-state='live']", timeout=10_000)
            # Each tile shows its whole caption (the camera's name) below the video: the wall
            # scrolls rather than squeezing tiles until the caption is cut off.
            # A short window leaves the wall less room than one row of tiles needs.
            for size in ({"width": 1600, "height": 1000}, {"width": 1280, "height": 560}):
                page.set_viewport_size(size)
                clipped = page.evaluate(CAPTION_OVERHANG_JS)
                names = sorted(name for name, _, _ in clipped)
                assert names == ["공덕역 1번 출구", "공덕역 5번 출구"], clipped
                assert all(over <= 1 and height >= 12 for _, over, height in clipped), (
                    size,
                    clipped,
                )
            page.set_viewport_size({"width": 1600, "height": 1000})
            page.screenshot(path=str(ARTIFACTS / "dashboard-map.png"))
            # Camera status arrives every second over SSE; it must patch the tiles, not rebuild
            # them (checked at the end, after many status messages and a language switch).
            page.evaluate(MARK_JS, ["#wall figure.tile[data-camera='gongdeok-1']", "tile-1"])
            page.evaluate(MARK_JS, ["#wall figure.tile[data-camera='gongdeok-2']", "tile-2"])

            # --- clicking a camera on the map shows its live tile -------------------------------
            where = page.evaluate(
                """() => {
                    const map = window.cctwin.map;
                    const feature = window.cctwin.state.camerasGeojson.features.find(
                        (f) => f.properties.kind === 'camera' && f.properties.camera_id === 'gongdeok-2');
                    const point = map.project(feature.geometry.coordinates);
                    const box = map.getCanvas().getBoundingClientRect();
                    return {x: box.left + point.x, y: box.top + point.y};
                }"""
            )
            page.mouse.click(where["x"], where["y"])
            popup_tile = page.locator(".maplibregl-popup figure.tile[data-camera='gongdeok-2']")
            popup_tile.wait_for(timeout=5_000)
            page.wait_for_function(
                "document.querySelector('.maplibregl-popup figure.tile').dataset.loaded === '1'",
                timeout=10_000,
            )
            page.screenshot(path=str(ARTIFACTS / "dashboard-camera.png"))
            page.locator(".maplibregl-popup-close-button").click()
            popup_tile.wait_for(state="detached", timeout=5_000)

            # --- an injected event opens an alert that reaches the page over SSE -------------
            event = _inject(service, "gongdeok-1")
            card = page.locator(".alert-card").first
            card.wait_for(timeout=5_000)
            alert_id = card.get_attribute("data-id")
            assert alert_id
            assert card.get_attribute("data-status") == "new"
            assert card.locator(".title").inner_text().strip()
            assert "공덕역 1번 출구" in card.locator(".meta").inner_text()
            # Zones are shown by the names operators gave them, not their ids.
            assert "광장 구역" in card.locator(".title").inner_text()
            assert "광장" in card.locator(".meta").inner_text().split(" · ")
            labels = card.locator("button.action").all_inner_texts()
            assert labels == ["확인", "상향", "기각"], labels
            row = page.locator(f"#timeline li.event[data-id='{event['id']}']")
            row.wait_for(timeout=5_000)
            # Class and kind labels are the catalogue's words (one word for both server and web).
            assert f"· {ko['class.person']}" in card.locator(".meta").inner_text()
            assert row.locator(".kind").inner_text() == ko["kind.zone_enter"]
            assert ko["kind.zone_enter"] in card.locator(".title").inner_text()
            card_selector = f".alert-card[data-id='{alert_id}']"
            page.evaluate(MARK_JS, [card_selector, "first-card"])
            page.evaluate(MARK_JS, [f"#timeline li.event[data-id='{event['id']}']", "first-row"])
            card.locator(
                ".title"
            ).click()  # select it: evidence (snapshot, events) shows beside the queue
            page.locator("#evidence-body .evidence-events li.event").first.wait_for(timeout=5_000)
            snapshot = page.locator("#evidence-body img.snapshot")
            if snapshot.count():
                page.wait_for_function(
                    "(() => { const i = document.querySelector('#evidence-body img.snapshot');"
                    " return i.complete && i.naturalWidth > 0; })()",
                    timeout=10_000,
                )
            page.screenshot(path=str(ARTIFACTS / "dashboard-alert.png"))

            # --- unmasking: a reason is asked, the grant shows its expiry, and ends on a click --
            page.once("dialog", lambda dialog: dialog.accept("browser test: evidence review"))
            page.locator("#evidence-body .unmask button").click()
            active = page.locator("#evidence-body .unmask.active")
            active.wait_for(timeout=5_000)
            assert ko["unmask.until"].replace("{time}", "") in active.inner_text()
            status, grants = _request(f"{service.base_url}/api/privacy/unmask", token=service.token)
            assert status == 200, grants
            assert [g["reason"] for g in grants] == ["browser test: evidence review"]
            active.locator("button").click()
            page.locator("#evidence-body .unmask:not(.active) button").wait_for(timeout=5_000)

            # --- one click acknowledges it -----------------------------------------------------
            card.locator("button[data-to='acknowledged']").click()
            deadline = time.monotonic() + 10
            while True:
                status, alert = _request(
                    f"{service.base_url}/api/alerts/{alert_id}", token=service.token
                )
                assert status == 200, alert
                if alert["status"] == "acknowledged":
                    break
                assert time.monotonic() < deadline, f"alert still {alert['status']}"
                time.sleep(0.2)
            page.locator(f".alert-card[data-id='{alert_id}'][data-status='acknowledged']").wait_for(
                timeout=5_000
            )
            page.screenshot(path=str(ARTIFACTS / "dashboard-acknowledged.png"))
            # The change patched the card in place: same node, new status.
            assert page.evaluate(MARKS_JS, ".alert-card") == ["first-card"]

            # --- a second alert over SSE adds one card and one row; the others stay as they are -
            car_event = _inject(service, "gongdeok-2", class_name="car")
            page.wait_for_function(
                "document.querySelectorAll('#alert-list .alert-card').length === 2", timeout=5_000
            )
            page.locator(f"#timeline li.event[data-id='{car_event['id']}']").wait_for(timeout=5_000)
            marks = page.evaluate(MARKS_JS, ".alert-card")
            assert marks == [None, "first-card"], marks  # newest first, the old card kept
            assert page.evaluate(MARKS_JS, "#timeline li.event").count("first-row") == 1
            car_card = page.locator(".alert-card:not([data-id='" + alert_id + "'])")
            assert f"· {ko['class.car']}" in car_card.locator(".meta").inner_text()
            assert ko["class.car"] == "차량"  # the word the server's titles and reports use
            assert page.locator("#alert-count").inner_text() == ko["alerts.count"].replace(
                "{count}", "2"
            )

            # --- English, kept across a reload --------------------------------------------------
            assert page.locator("#alerts-title").inner_text() == "경보"
            page.locator("button[data-lang='en']").click()
            assert page.locator("#alerts-title").inner_text() == "Alerts"
            assert page.locator(".subtitle").inner_text() == "Control centre digital twin"
            acknowledged = page.locator(f".alert-card[data-id='{alert_id}']")
            assert acknowledged.locator("button.action").all_inner_texts() == [
                "Escalate",
                "Resolve",
                "Dismiss",
            ]
            assert acknowledged.locator(".status").inner_text() == "Acknowledged"
            # The words come from the English catalogue, cards and rows relabelled in place.
            assert acknowledged.locator(".status").inner_text() == en["status.acknowledged"]
            assert f"· {en['class.person']}" in acknowledged.locator(".meta").inner_text()
            assert f"· {en['class.car']}" in car_card.locator(".meta").inner_text()
            assert en["kind.zone_enter"] in acknowledged.locator(".title").inner_text()
            assert row.locator(".kind").inner_text() == en["kind.zone_enter"]
            assert page.evaluate(MARKS_JS, ".alert-card") == [None, "first-card"]
            assert page.evaluate(MARKS_JS, "#timeline li.event").count("first-row") == 1
            assert page.evaluate(MARKS_JS, "#wall figure.tile") == ["tile-1", "tile-2"]
            tile_state = page.locator("#wall figure.tile .state-text").first.inner_text()
            assert tile_state == en["camera.online"]
            page.reload()
            page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
            assert page.locator("#alerts-title").inner_text() == "Alerts"
            assert page.evaluate("localStorage.getItem('cctwin.language')") == "en"
            page.screenshot(path=str(ARTIFACTS / "dashboard-english.png"))
        finally:
            browser.close()
    assert page_errors == [], page_errors
