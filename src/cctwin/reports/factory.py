"""Build the configured Reporter: templates, or a model with the templates to fall back on."""

from __future__ import annotations

from cctwin.reports.report import Reporter
from cctwin.reports.settings import OpenAICompatibleReportSettings, TemplateReportSettings
from cctwin.reports.templates import TemplateReporter
from cctwin.twin.names import PlaceNames


def build_reporter(
    settings: TemplateReportSettings | OpenAICompatibleReportSettings,
    names: PlaceNames | None = None,
) -> Reporter:
    """The reporter a deployment asked for; with no model configured, the templates."""
    templates = TemplateReporter(settings.timezone, names)
    if isinstance(settings, OpenAICompatibleReportSettings):
        from cctwin.reports.openai_compatible import OpenAICompatibleReporter

        return OpenAICompatibleReporter(settings, fallback=templates)
    return templates
