"""The ko/en message catalogue: same keys and placeholders, every word the code asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cctwin.api.routes import catalogue as catalogue_route
from cctwin.catalogue import (
    LANGUAGES,
    UnknownLanguageError,
    messages,
    placeholders,
    text,
    text_or,
)
from cctwin.detect.labels import DEFAULT_CLASSES, display_name
from cctwin.reports.templates import GENERIC, WORDINGS
from cctwin.types import AlertStatus, CameraState, Direction, EventKind, Severity

WEB = Path(__file__).resolve().parents[3] / "web"
# Literal keys in the dashboard: t("key"), t("key", {...}) and data-i18n*="key" attributes.
WEB_KEY = re.compile(r"""\bt\(\s*"([\w.]+)"|data-i18n(?:-title|-aria)?[=:]\s*"([\w.]+)\"""")


def test_both_languages_have_every_key_and_no_empty_text() -> None:
    ko, en = messages("ko"), messages("en")
    assert sorted(set(ko) ^ set(en)) == []
    assert [key for lang in LANGUAGES for key, value in messages(lang).items() if not value] == []


def test_placeholders_are_the_same_in_both_languages() -> None:
    ko, en = messages("ko"), messages("en")
    differ = {
        key: (sorted(placeholders(ko[key])), sorted(placeholders(en[key])))
        for key in ko
        if placeholders(ko[key]) != placeholders(en[key])
    }
    assert differ == {}


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("kind", [kind.value for kind in EventKind]),
        ("report.sentence", [kind.value for kind in EventKind]),
        ("class", list(DEFAULT_CLASSES)),
        ("status", [status.value for status in AlertStatus]),
        ("severity", [severity.value for severity in Severity]),
        ("camera", [state.value for state in CameraState]),
        ("direction", [direction.value for direction in Direction]),
    ],
)
def test_every_value_the_code_shows_has_words(prefix: str, values: list[str]) -> None:
    for language in LANGUAGES:
        missing = [value for value in values if f"{prefix}.{value}" not in messages(language)]
        assert missing == [], (language, prefix)


def test_every_report_wording_points_at_catalogue_keys() -> None:
    for wording in [*WORDINGS.values(), GENERIC]:
        for key in (wording.label, wording.sentence, wording.advice):
            assert key in messages("ko"), key


def test_every_literal_key_of_the_dashboard_is_in_the_catalogue() -> None:
    sources = [*WEB.glob("*.js"), WEB / "index.html"]
    used = {
        key
        for source in sources
        for match in WEB_KEY.finditer(source.read_text(encoding="utf-8"))
        for key in match.groups()
        if key
    }
    assert len(used) > 30, sorted(used)  # the pattern still finds the dashboard's keys
    assert sorted(used - set(messages("en"))) == []


def test_text_fills_placeholders_and_refuses_gaps() -> None:
    assert text("ko", "alerts.count", count=3) == "3건"
    assert text("en", "evidence.events", count=2) == "2 related events"
    with pytest.raises(KeyError):
        text("ko", "alerts.count")  # a missing parameter is a bug, not "{count}건"
    with pytest.raises(KeyError):
        text("en", "no.such.key")
    with pytest.raises(UnknownLanguageError):
        messages("fr")
    assert text_or("ko", "class.dog", "dog") == "dog"


def test_one_word_per_class_on_the_server_and_the_dashboard() -> None:
    # The alert titles and the report subjects use the catalogue's word, as the web does.
    assert display_name("car", "ko") == messages("ko")["class.car"] == "차량"
    assert display_name("person", "en", count=2) == "people"
    assert display_name("dog", "en", count=2) == "dogs"
    assert display_name("dog", "ko", count=2) == "dog"


def test_crowd_bands_use_the_catalogue_level_words() -> None:
    # The Seoul bands carry their own Korean names (config); they must say what the map says.
    from cctwin.analytics.crowd.calibration import SEOUL_BANDS
    from cctwin.config.safety import CrowdConfig

    bands = [(b.name, b.name_ko) for b in SEOUL_BANDS]
    bands += [
        (b.name, b.name_ko)
        for b in CrowdConfig.model_fields["bands"].get_default(call_default_factory=True)
    ]
    assert [(name, messages("ko")[f"level.{name}"]) for name, _ in bands] == bands


def test_catalogue_endpoint_serves_each_language() -> None:
    app = FastAPI()
    app.include_router(catalogue_route.router)
    with TestClient(app) as client:
        korean = client.get("/api/catalogue")
        english = client.get("/api/catalogue", params={"lang": "en"})
        unknown = client.get("/api/catalogue", params={"lang": "fr"})
    assert korean.status_code == 200
    assert korean.json()["language"] == "ko"
    assert korean.json()["messages"] == dict(messages("ko"))
    assert english.json()["messages"]["class.car"] == "car"
    assert english.json()["languages"] == ["ko", "en"]
    assert unknown.status_code == 404
