"""What a situation report is, and the Reporter boundary that writes one for an alert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from cctwin.types import Alert, Event


class ReportSource(StrEnum):
    """Who wrote a report's text."""

    TEMPLATE = "template"
    MODEL = "model"


@dataclass(frozen=True, slots=True)
class SituationReport:
    """A short account of an alert in Korean and English for operators and shared records.

    `verified` is the model's verdict on whether the snapshot shows what the alert claims
    (None: nobody checked); `confidence` is the model's own 0..1 estimate. When a configured
    model could not answer, the text comes from the templates, `source` says so, `model`
    names the model that was asked and `error` says why it failed.
    """

    text_ko: str
    text_en: str
    source: ReportSource
    verified: bool | None = None
    confidence: float | None = None
    model: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "text_ko": self.text_ko,
            "text_en": self.text_en,
            "source": self.source.value,
            "verified": self.verified,
            "confidence": self.confidence,
            "model": self.model,
            "error": self.error,
        }


class Reporter(Protocol):
    """Writes the situation report of an alert from its events and (optionally) a snapshot."""

    async def report(
        self, alert: Alert, events: Sequence[Event], snapshot_jpeg: bytes | None
    ) -> SituationReport: ...
