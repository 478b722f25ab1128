"""The twin in a real browser: 3D buildings, a footprint, a zone's live density, other systems'
sensors, and the replay slider (the moment shown within 300 ms), against a real `cctwin up`.

Same service and Chromium as test_dashboard_browser.py. The zone's crowd values are written
to the twin through the NGSI-LD API (synthetic clips hold no people for the detector), one
two minutes ago and one now, so replay and live must show different counts. Screenshots go
to var/test-artifacts/twin-*.png.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_dashboard_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ZONE,
    Service,
    _request,
    _skip_reason,
    service,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]
__all__ = ["service"]  # the module-scoped `cctwin up` fixture, one per test module

ENTITY = f"urn:ngsi-ld:CrowdFlowObserved:gongdeok-1:{ZONE}"
GAUGE = "urn:ngsi-ld:WaterObserved:rain-gauge-7"
REPLAY_BUDGET_MS = 300.0
# Moves the slider to `value` like a user would (an `input` event), then waits, frame by
# frame, until the map's zone label and the replay bar show that moment; returns the ms.
MOVE_JS = """async ([target, count]) => {
    const slider = document.querySelector('#replay-slider');
    const bar = document.querySelector('#replay-bar');
    const marker = () => document.querySelector(".zone-density[data-zone='gongdeok-1:plaza']");
    const anchor = new Date(bar.dataset.anchor || Date.now()).getTime();
    // At most the slider's right end (the moment replay began).
    const value = Math.min(0, Math.round((new Date(target).getTime() - anchor) / 1000));
    const started = performance.now();
    slider.value = String(value);
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    const wanted = new Date(new Date(bar.dataset.anchor).getTime() + value * 1000).toISOString();
    while (!(bar.dataset.shownTime === wanted && marker().textContent.includes(count))) {
        if (performance.now() - started > 10000) return {ms: -1, shown: bar.dataset.shownTime,
                                                        wanted, text: marker().textContent};
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return {ms: performance.now() - started, wanted, server: Number(bar.dataset.latencyMs),
            fetch: Number(bar.dataset.fetchMs)};
}"""


def _upsert(service: Service, bodies: list[dict[str, Any]]) -> None:
    status, body = _request(
        f"{service.base_url}/ngsi-ld/v1/entityOperations/upsert", bodies, token=service.token
    )
    assert status in (201, 204), (status, body)


def _prop(value: Any, at: datetime, unit: str | None = None) -> dict[str, Any]:
    out = {"type": "Property", "value": value, "observedAt": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return out | ({"unitCode": unit} if unit else {})


def _seed(service: Service, now: datetime) -> tuple[float, dict[str, Any]]:
    """Two crowd readings (2 minutes ago: 15 people, now: 60), a rain gauge, and an alert
    opened 30 s ago; returns the zone's visible walkable area and the alert's event."""
    status, footprints = _request(f"{service.base_url}/api/site/footprints.geojson",
                                  token=service.token)  # fmt: skip
    assert status == 200, footprints
    area = next(
        f["properties"]["visible_walkable_m2"]
        for f in footprints["features"]
        if f["properties"]["kind"] == "image_zone" and f["properties"]["camera_id"] == "gongdeok-1"
    )
    for count, at, level in ((15, now - timedelta(minutes=2), "normal"), (60, now, "caution")):
        _upsert(service, [{
            "id": ENTITY, "type": "CrowdFlowObserved",
            "peopleCount": _prop(count, at), "density": _prop(round(count / area, 4), at, "28"),
            "visibleWalkableArea": _prop(area, at, "MTK"), "riskLevel": _prop(level, at),
        }])  # fmt: skip
    gauge = {
        "id": GAUGE, "type": "WaterObserved", "name": {"type": "Property", "value": "우수 게이지 7"},
        "location": {"type": "GeoProperty",
                     "value": {"type": "Point", "coordinates": [126.9532, 37.5452]}},
        "waterLevel": _prop(1.8, now, "MTR"),
    }  # fmt: skip
    _upsert(service, [gauge])
    status, event = _request(
        f"{service.base_url}/api/events",
        {"kind": "zone_enter", "camera_id": "gongdeok-1", "rule_id": ZONE, "zone_id": ZONE,
         "occurred_at": (now - timedelta(seconds=30)).isoformat(), "frame_index": 1,
         "track_id": 1, "class_name": "person", "confidence": 0.9},
        token=service.token,
    )  # fmt: skip
    assert status == 201, event
    return area, event


def _log_in(page: Any, service: Service) -> None:
    page.goto(service.base_url + "/")
    page.wait_for_url(lambda url: "/login.html?next=" in url, timeout=30_000)
    page.fill("#username", "admin")
    page.fill("#password", service.admin_password)
    page.click("#login-submit")
    page.wait_for_url(service.base_url + "/", timeout=30_000)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)


def test_twin_3d_live_density_and_replay(service: Service) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_errors: list[str] = []
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
            _log_in(page, service)
            # The cameras report their states (and the twin records them) from here on.
            page.wait_for_function(
                "document.querySelectorAll('#wall figure.tile[data-loaded=\"1\"]').length === 2",
                timeout=30_000,
            )
            now = datetime.now(UTC).replace(microsecond=0)
            area, event = _seed(service, now)
            _check_3d_and_live(page, area)
            page.screenshot(path=str(ARTIFACTS / "twin-live.png"))
            _check_replay(page, service, event, now)
            page.screenshot(path=str(ARTIFACTS / "twin-replay.png"))
            _check_back_to_live_and_jump(page)
            page.screenshot(path=str(ARTIFACTS / "twin-jump.png"))
        finally:
            browser.close()
    assert page_errors == [], page_errors


def _check_3d_and_live(page: Any, area: float) -> None:
    twin = page.evaluate(
        """() => {
            const map = window.cctwin.map;
            return {
                buildingLayer: map.getLayer('site-buildings-0').type,
                buildings: map.queryRenderedFeatures({layers: ['site-buildings-0']}).length,
                footprints: map.queryRenderedFeatures({layers: ['footprint-fill']}).length,
            };
        }"""
    )
    assert twin["buildingLayer"] == "fill-extrusion", twin
    assert twin["buildings"] > 0, twin
    assert twin["footprints"] > 0, twin
    marker = page.locator(".zone-density[data-zone='gongdeok-1:plaza']")
    marker.filter(has_text="60명").wait_for(timeout=10_000)  # the live count, refreshed
    assert float(marker.get_attribute("data-density") or 0) == pytest.approx(60 / area, abs=1e-3)
    assert "주의" in marker.inner_text()  # the zone's level, in the page's language
    assert page.locator("body").get_attribute("data-mode") == "live"
    gauge = page.locator(f".foreign-entity[data-id='{GAUGE}']")
    gauge.wait_for(timeout=15_000)
    assert "waterLevel 1.8" in gauge.inner_text(), gauge.inner_text()
    rendered = page.evaluate(
        "() => window.cctwin.map.queryRenderedFeatures({layers: ['twin-zone-fill']}).length"
    )
    assert rendered > 0  # the zone's ground is coloured by its density


def _at(now: datetime, seconds: int) -> str:
    return (now + timedelta(seconds=seconds)).isoformat()


def _check_replay(page: Any, service: Service, event: dict[str, Any], now: datetime) -> None:
    # Into replay 90 s before the seed: after the 15-person reading, before the alert.
    first = page.evaluate(MOVE_JS, [_at(now, -90), "15명"])
    assert first["ms"] > 0, first
    assert page.locator("body").get_attribute("data-mode") == "replay"
    assert page.locator("#replay-mode").inner_text() == "재생 모드"
    assert page.locator("#replay-panel .replay-alert").count() == 0  # the alert came later
    timings: list[float] = []
    fetches: list[float] = []  # until drawn: the round trip, then the map and panel updated
    trips: list[float] = []  # the round trip alone
    for back in (-40, -100, -50, -110, -60, -70, -105, -45):
        moved = page.evaluate(MOVE_JS, [_at(now, back), "15명"])
        assert moved["ms"] > 0, moved
        timings.append(round(moved["ms"], 1))
        fetches.append(moved["server"])
        trips.append(moved["fetch"])
    # 5 s after the seed: 60 people, the alert (opened 30 s before) open, its event within
    # the window, and the cameras as the twin recorded them then.
    moved = page.evaluate(MOVE_JS, [_at(now, 5), "60명"])
    assert moved["ms"] > 0, moved
    timings.append(round(moved["ms"], 1))
    fetches.append(moved["server"])
    trips.append(moved["fetch"])
    page.locator(f"#replay-panel .replay-event[data-id='{event['id']}']").wait_for(timeout=5_000)
    assert page.locator("#replay-panel .replay-alert").count() == 1
    camera = page.locator("#replay-panel li[data-camera='gongdeok-1']")
    assert camera.get_attribute("data-state", timeout=5_000) == "online"
    _check_budget(timings, fetches, trips)


def _check_budget(timings: list[float], fetches: list[float], trips: list[float]) -> None:
    """Slider to twin shown within 300 ms: the median move of ten. One move's worst case on a
    shared 2-core runner measures the runner (a GC pause, the analysis threads holding the
    GIL), so the distribution goes to var/test-artifacts/ and docs/benchmarks.md, not to an
    assertion. On a machine running more than twice as many processes as it has cores the
    round trip measures the queue, not cctwin: there the page's own part (shown minus the
    fetch) is held to the budget."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    report = {"shown_ms": timings, "fetched_and_applied_ms": fetches, "round_trip_ms": trips,
              "load_per_core": round(load, 2)}  # fmt: skip
    (ARTIFACTS / "twin-replay-timings.json").write_text(json.dumps(report))
    print(f"replay moves: shown {timings} ms, fetched+applied {fetches} ms, round trip {trips}"
          f" ms, load/core {load:.1f}")  # fmt: skip
    if load <= 2.0:
        assert statistics.median(timings) <= REPLAY_BUDGET_MS, (timings, fetches)
    else:
        page_part = [total - fetch for total, fetch in zip(timings, fetches, strict=True)]
        assert statistics.median(page_part) <= REPLAY_BUDGET_MS, (timings, fetches)


def _check_back_to_live_and_jump(page: Any) -> None:
    page.locator("#replay-live").click()
    page.wait_for_selector("body[data-mode='live']", timeout=5_000)
    marker = page.locator(".zone-density[data-zone='gongdeok-1:plaza']")
    marker.filter(has_text="60명").wait_for(timeout=10_000)
    assert page.locator("#replay-panel").is_hidden()
    # From the alert queue: select the alert, then jump to the moment it opened.
    page.locator(".alert-card .title").first.click()
    page.locator("#replay-jump").click()
    page.wait_for_selector("body[data-mode='replay']", timeout=5_000)
    page.locator("#replay-panel .replay-alert").first.wait_for(timeout=5_000)
    deadline = time.monotonic() + 5
    while "15명" not in marker.inner_text():
        assert time.monotonic() < deadline, marker.inner_text()
        time.sleep(0.1)
    page.locator("button[data-lang='en']").click()
    assert page.locator("#replay-mode").inner_text() == "REPLAY"
    assert page.locator("#replay-live").inner_text() == "Back to live"
    assert page.locator("#replay-panel h3").inner_text().startswith("The twin at")
    assert "15 people" in marker.inner_text()
    # From the timeline: an event's time replays that moment.
    page.locator("#replay-live").click()
    page.wait_for_selector("body[data-mode='live']", timeout=5_000)
    page.locator("#timeline li.event time").first.click()
    page.wait_for_selector("body[data-mode='replay']", timeout=5_000)
    page.locator("#replay-panel .replay-event").first.wait_for(timeout=5_000)
