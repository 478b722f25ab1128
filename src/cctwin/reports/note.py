"""A situation report as an alert note, so it travels with the alert's audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

from cctwin.reports.report import ReportSource, SituationReport
from cctwin.types import AlertNote


def report_note(report: SituationReport, written_at: datetime | None = None) -> AlertNote:
    """Korean, then English, then who wrote it and the model's verdict when one was asked."""
    lines = [report.text_ko, report.text_en]
    if report.source is ReportSource.MODEL:
        if report.verified is None:
            verdict = "판정 없음 / no verdict"
        else:
            verdict = "확인됨 / verified" if report.verified else "확인 안 됨 / not confirmed"
        line = f"[{report.model}] {verdict}"
        if report.confidence is not None:
            line += f" ({report.confidence:.2f})"
        lines.append(line)
    elif report.error is not None:
        lines.append(f"[{report.model}] 모델 응답 실패, 템플릿 사용 / model failed: {report.error}")
    author = "report:model" if report.source is ReportSource.MODEL else "report:template"
    return AlertNote(
        author=author, text="\n".join(lines), written_at=written_at or datetime.now(UTC)
    )
