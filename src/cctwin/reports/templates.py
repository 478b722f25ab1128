"""Situation reports from fixed Korean and English sentences over an alert's detections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from cctwin.catalogue import text, text_or
from cctwin.detect.labels import display_name
from cctwin.reports.report import ReportSource, SituationReport
from cctwin.twin.names import PlaceNames
from cctwin.types import Alert, Event


@dataclass(frozen=True, slots=True)
class Wording:
    """How one event kind is told: catalogue keys of its label, sentence and advice.

    Sentences are catalogue templates over the fields of `ReportFacts` without their language
    suffix (`{subject}`, `{place}`, ...), the same names in both languages. Korean uses the
    terse report style of control rooms (개조식: noun endings), which also spares the
    particles that depend on the preceding word.
    """

    label: str
    sentence: str
    advice: str


# What to do next is policy, not language: which advice (`report.advice.*`) goes with a kind.
# Keyed by the event kind's value so kinds added later fall back to GENERIC until worded.
_ADVICE = {
    "zone_enter": "check",
    "zone_exit": "check",
    "line_cross": "check",
    "loitering": "police",
    "intrusion": "police",
    "crowdRisk": "crowd",
    "buildingFire": "fire",
    "smoke": "fire",
    "flood": "flood",
    "fallenPerson": "ambulance",
    "camera_health": "check",
    "crowdRiskForecast": "crowd",
}
WORDINGS: dict[str, Wording] = {
    kind: Wording(f"kind.{kind}", f"report.sentence.{kind}", f"report.advice.{advice}")
    for kind, advice in _ADVICE.items()
}
GENERIC = Wording("report.label.generic", "report.sentence.generic", "report.advice.check")

_VEHICLES = frozenset({"car", "bicycle", "motorcycle", "bus", "truck", "train", "boat"})
# ReportFacts fields that read the same in every language; the others end in _en or _ko.
_SHARED = ("kind", "camera", "time", "line")


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """The phrases templates are filled with, already worded for each language."""

    kind: str
    camera: str
    time: str
    line: str
    subject_en: str
    subject_ko: str
    place_en: str
    area_en: str
    place_ko: str
    dwell_en: str
    dwell_ko: str
    level_en: str
    level_ko: str
    density_en: str
    density_ko: str
    confidence_en: str
    confidence_ko: str
    direction_en: str
    direction_ko: str

    def fields(self, language: str) -> dict[str, str]:
        """The template fields of one language, named without the suffix."""
        suffix = f"_{language}"
        fields = {name: getattr(self, name) for name in _SHARED}
        for name in ReportFacts.__slots__:
            if name.endswith(suffix):
                fields[name.removesuffix(suffix)] = getattr(self, name)
        # Korean names the place the same way whether it is the subject's area or not.
        fields.setdefault("area", fields["place"])
        return fields


def facts_of(
    alert: Alert, events: Sequence[Event], timezone: tzinfo, names: PlaceNames | None = None
) -> ReportFacts:
    """What an alert and its events say: who, how many, where, when, how long, how bad.

    Cameras and zones go by the names operators gave them (`names`), else by their ids.
    """
    names = names or PlaceNames()
    ordered = sorted(events, key=lambda e: e.occurred_at)
    first = ordered[0] if ordered else None
    latest = ordered[-1] if ordered else None
    class_name = alert.class_name or (first.class_name if first else None) or "object"
    tracks = {e.track_id for e in ordered if e.track_id >= 0}
    count = len(tracks) or max(1, len(ordered))
    zone_id = alert.zone_id or next((e.zone_id for e in ordered if e.zone_id), None)
    zone = names.place(alert.camera_id, zone_id) if zone_id else None
    dwell = max((e.dwell_s for e in ordered if e.dwell_s is not None), default=None)
    level = next((e.level for e in reversed(ordered) if e.level), None)
    value = latest.value if latest is not None else None
    confidence = max((e.confidence for e in ordered), default=None)
    direction = next((e.direction.value for e in ordered if e.direction), None)
    when = first.occurred_at if first else alert.opened_at
    camera = names.camera(alert.camera_id)

    def phrases(language: str) -> dict[str, str]:
        where = "zone" if zone else "camera"
        return {
            "subject": _subject(language, class_name, count),
            "place": text(language, f"report.place.{where}", zone=zone, camera=camera),
            "area": text(language, f"report.area.{where}", zone=zone, camera=camera),
            "dwell": (
                text(language, "report.dwell", seconds=f"{dwell:.0f}") if dwell is not None else ""
            ),
            "level": (
                text(language, "report.level", level=text_or(language, f"level.{level}", level))
                if level
                else ""
            ),
            "density": (
                text(language, "report.density", value=f"{value:.1f}")
                if value is not None
                else text(language, "report.density.unknown")
            ),
            "confidence": (
                text(language, "report.confidence", value=f"{confidence:.2f}")
                if confidence is not None
                else ""
            ),
            "direction": (
                text(
                    language,
                    "report.direction",
                    direction=text_or(language, f"direction.{direction}", direction),
                )
                if direction
                else ""
            ),
        }

    en, ko = phrases("en"), phrases("ko")
    return ReportFacts(
        kind=alert.kind.value,
        camera=camera,
        time=_local_time(when, timezone),
        line=first.rule_id if first else alert.rule_id,
        subject_en=en["subject"],
        subject_ko=ko["subject"],
        place_en=en["place"],
        area_en=en["area"],
        place_ko=ko["place"],
        dwell_en=en["dwell"],
        dwell_ko=ko["dwell"],
        level_en=en["level"],
        level_ko=ko["level"],
        density_en=en["density"],
        density_ko=ko["density"],
        confidence_en=en["confidence"],
        confidence_ko=ko["confidence"],
        direction_en=en["direction"],
        direction_ko=ko["direction"],
    )


def _local_time(moment: datetime, timezone: tzinfo) -> str:
    local = moment.astimezone(timezone)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or local.strftime('%z')}"


def _subject(language: str, class_name: str, count: int) -> str:
    # Korean counts people with 명, vehicles with 대 and other things with 개.
    if class_name == "person":
        key = "report.subject.person"
    else:
        key = "report.subject.vehicle" if class_name in _VEHICLES else "report.subject.thing"
    return text(language, key, name=display_name(class_name, language, count), count=count)


def render(facts: ReportFacts) -> SituationReport:
    """A template report: label, what happened and what to do, in Korean and English."""
    wording = WORDINGS.get(facts.kind, GENERIC)
    texts = {}
    for language in ("ko", "en"):
        fields = facts.fields(language)
        label = text(language, wording.label, **fields)
        sentence = _capitalised(text(language, wording.sentence, **fields))
        texts[language] = f"[{label}] {sentence} {text(language, wording.advice)}"
    return SituationReport(text_ko=texts["ko"], text_en=texts["en"], source=ReportSource.TEMPLATE)


def _capitalised(sentence: str) -> str:
    # English sentences may open with a lower-case field ("1 person", "fight event").
    return sentence[:1].upper() + sentence[1:]


class TemplateReporter:
    """Writes reports from the detections alone; never fails and needs no model."""

    def __init__(
        self, timezone: str | tzinfo = "Asia/Seoul", names: PlaceNames | None = None
    ) -> None:
        self.timezone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.names = names

    def write(self, alert: Alert, events: Sequence[Event]) -> SituationReport:
        """The report, synchronously (for callers outside an event loop)."""
        return render(facts_of(alert, events, self.timezone, self.names))

    async def report(
        self, alert: Alert, events: Sequence[Event], snapshot_jpeg: bytes | None
    ) -> SituationReport:
        return self.write(alert, events)
