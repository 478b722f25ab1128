"""Report settings: backend union, defaults, validation, and the reporter each one builds."""

import pytest
from pydantic import TypeAdapter, ValidationError

from cctwin.reports import (
    OpenAICompatibleReportSettings,
    ReportSettings,
    TemplateReporter,
    TemplateReportSettings,
    build_reporter,
)
from cctwin.reports.openai_compatible import OpenAICompatibleReporter

ADAPTER: TypeAdapter[TemplateReportSettings | OpenAICompatibleReportSettings] = TypeAdapter(
    ReportSettings
)


def test_templates_are_the_default_and_build_a_template_reporter() -> None:
    settings = ADAPTER.validate_python({})
    assert settings == TemplateReportSettings()
    reporter = build_reporter(settings)
    assert isinstance(reporter, TemplateReporter)
    assert str(reporter.timezone) == "Asia/Seoul"


def test_openai_compatible_settings_build_the_adapter_with_a_template_fallback() -> None:
    settings = ADAPTER.validate_python(
        {
            "backend": "openai_compatible",
            "base_url": "http://localhost:11434/v1/",
            "model": "qwen2.5vl:7b",
            "api_key": "",
            "timezone": "UTC",
        }
    )
    assert isinstance(settings, OpenAICompatibleReportSettings)
    assert settings.base_url == "http://localhost:11434/v1"
    assert settings.api_key is None
    assert (settings.timeout_s, settings.max_tokens, settings.verify) == (30.0, 400, True)
    reporter = build_reporter(settings)
    assert isinstance(reporter, OpenAICompatibleReporter)
    assert isinstance(reporter.fallback, TemplateReporter)
    assert str(reporter.fallback.timezone) == "UTC"


def test_the_api_key_stays_out_of_reprs() -> None:
    settings = OpenAICompatibleReportSettings(
        backend="openai_compatible", base_url="https://vlm.example/v1", model="m", api_key="sek"
    )
    assert "sek" not in repr(settings)
    with pytest.raises(ValidationError, match="frozen"):
        settings.model = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"backend": "ollama"}, "does not match any of the expected tags"),
        ({"backend": "openai_compatible", "model": "m"}, "base_url"),
        ({"backend": "openai_compatible", "base_url": "localhost:8000", "model": "m"}, "pattern"),
        ({"backend": "openai_compatible", "base_url": "http://h/v1", "model": ""}, "model"),
        ({"backend": "openai_compatible", "base_url": "http://h", "model": "m", "timeout_s": 0}, "timeout_s"),
        ({"backend": "template", "timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"backend": "template", "url": "http://h"}, "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ADAPTER.validate_python(data)
