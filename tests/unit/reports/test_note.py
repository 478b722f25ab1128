"""Situation reports as alert notes: both languages, and who wrote them with what verdict."""

from __future__ import annotations

from datetime import UTC, datetime

from cctwin.reports.note import report_note
from cctwin.reports.report import ReportSource, SituationReport

AT = datetime(2026, 7, 14, 9, 0, tzinfo=UTC)


def test_template_report_note_has_korean_then_english() -> None:
    note = report_note(SituationReport("화재 감지", "Fire detected", ReportSource.TEMPLATE), AT)
    assert note.author == "report:template"
    assert note.text == "화재 감지\nFire detected"
    assert note.written_at == AT


def test_model_report_note_names_the_model_and_its_verdict() -> None:
    report = SituationReport(
        "연기 확인", "Smoke confirmed", ReportSource.MODEL, True, 0.874, "qwen2.5-vl"
    )
    note = report_note(report, AT)
    assert note.author == "report:model"
    assert note.text.splitlines()[-1] == "[qwen2.5-vl] 확인됨 / verified (0.87)"


def test_a_failed_model_call_says_so_under_the_template_text() -> None:
    report = SituationReport(
        "쓰러짐",
        "Fallen person",
        ReportSource.TEMPLATE,
        model="llava",
        error="timed out after 30 s",
    )
    note = report_note(report, AT)
    assert note.author == "report:template"
    assert "model failed: timed out after 30 s" in note.text.splitlines()[-1]
