"""Camera planning in a real browser against a real `cctwin up`: blind spots, a plan of new
cameras on the map with their footprints, and the panel in both languages.

Same service and Chromium as test_dashboard_browser.py. Screenshots go to
var/test-artifacts/planning-*.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_dashboard_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Service,
    _catalogue,
    _request,
    _skip_reason,
    service,
)
from test_twin_replay_browser import _log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]
__all__ = ["service"]  # the module-scoped `cctwin up` fixture, one per test module

ADD = 2
PERCENT = re.compile(r"(\d+(?:\.\d)?)%")
# What the map holds: blind-spot polygons and the planned cameras' points and footprints.
LAYERS_JS = """async () => {
    const map = window.cctwin.map;
    const blind = await map.getSource('blind-spots').getData();
    const planned = await map.getSource('planned-cameras').getData();
    const kinds = planned.features.map((f) => f.properties.kind);
    return {
        blind: blind.features.length,
        cameras: kinds.filter((k) => k === 'planned_camera').length,
        footprints: kinds.filter((k) => k === 'planned_footprint').length,
        footprintTypes: planned.features.filter((f) => f.properties.kind === 'planned_footprint')
            .map((f) => f.geometry.type),
        blindVisible: map.getLayoutProperty('blind-spot-fill', 'visibility') ?? 'visible',
    };
}"""


def _percents(text: str) -> list[float]:
    return [float(v) for v in PERCENT.findall(text)]


def test_planning_panel_plans_cameras_on_the_map(service: Service) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    status, coverage = _request(
        f"{service.base_url}/api/planning/coverage", token=service.token
    )  # fmt: skip
    assert status == 200, coverage
    ko, en = _catalogue(service, "ko"), _catalogue(service, "en")
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
            _check_coverage(page, coverage, ko)
            _check_plan(page, coverage, ko)
            page.screenshot(path=str(ARTIFACTS / "planning-ko.png"))
            _check_english_and_toggle(page, en)
            page.screenshot(path=str(ARTIFACTS / "planning-en.png"))
        finally:
            browser.close()
    assert page_errors == [], page_errors


def _check_coverage(page: Any, coverage: dict[str, Any], ko: dict[str, str]) -> None:
    box = page.locator("#planning-coverage")
    box.locator("li").first.wait_for(timeout=30_000)
    assert page.locator("#planning-panel strong").inner_text() == ko["planning.title"]
    text = box.inner_text()
    # The panel shows the API's weighted coverage and one line per class, in percent.
    shown = _percents(text)
    assert shown[0] == pytest.approx(100 * coverage["covered_fraction"], abs=0.06), text
    assert box.locator("li").count() == 3
    layers = page.evaluate(LAYERS_JS)
    assert layers["blind"] == len(coverage["blind_spots"]["features"]) > 0, layers
    assert layers["cameras"] == 0, layers


def _check_plan(page: Any, coverage: dict[str, Any], ko: dict[str, str]) -> None:
    page.fill("#plan-add", str(ADD))
    page.click("#plan-run")
    result = page.locator("#planning-result")
    result.locator("ol.planning-cameras li").nth(ADD - 1).wait_for(timeout=120_000)
    assert page.locator("#plan-run").inner_text() == ko["planning.run"]  # not "running" now
    before, after, *_ = _percents(result.inner_text())
    assert before == pytest.approx(100 * coverage["covered_fraction"], abs=0.06)
    assert after > before, result.inner_text()
    assert result.locator("ol.planning-cameras li").count() == ADD
    layers = page.evaluate(LAYERS_JS)
    assert (layers["cameras"], layers["footprints"]) == (ADD, ADD), layers
    assert set(layers["footprintTypes"]) <= {"Polygon", "MultiPolygon"}, layers


def _check_english_and_toggle(page: Any, en: dict[str, str]) -> None:
    page.locator("button[data-lang='en']").click()
    page.wait_for_function(
        "(title) => document.querySelector('#planning-panel strong').textContent === title",
        arg=en["planning.title"],
        timeout=10_000,
    )
    assert page.locator("#plan-run").inner_text() == en["planning.run"]
    assert en["planning.coverage"].split("{")[0].strip() in page.inner_text("#planning-coverage")
    toggle = page.locator("#layer-toggles label.layer-toggle", has_text="blind").first
    toggle.locator("input").uncheck()
    assert page.evaluate(LAYERS_JS)["blindVisible"] == "none"
