"""Situation reports for alerts, in Korean and English: from templates or a vision chat model."""

from cctwin.reports.factory import build_reporter
from cctwin.reports.report import Reporter, ReportSource, SituationReport
from cctwin.reports.settings import (
    OpenAICompatibleReportSettings,
    ReportSettings,
    TemplateReportSettings,
)
from cctwin.reports.templates import TemplateReporter

__all__ = [
    "OpenAICompatibleReportSettings",
    "ReportSettings",
    "ReportSource",
    "Reporter",
    "SituationReport",
    "TemplateReportSettings",
    "TemplateReporter",
    "build_reporter",
]
