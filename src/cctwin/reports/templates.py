"""Situation reports from fixed Korean and English sentences over an alert's detections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from cctwin.reports.report import ReportSource, SituationReport
from cctwin.twin.names import PlaceNames
from cctwin.types import Alert, Event


@dataclass(frozen=True, slots=True)
class Wording:
    """How one event kind is told: a label and a sentence per language, and what to do next.

    Sentences are `str.format` templates over the fields of `ReportFacts` (`{subject_en}`,
    `{place_ko}`, ...). Korean uses the terse report style of control rooms (개조식: noun
    endings), which also spares the particles that depend on the preceding word.
    """

    label_en: str
    label_ko: str
    sentence_en: str
    sentence_ko: str
    advice_en: str
    advice_ko: str


_CHECK_EN = "Check the live view."
_CHECK_KO = "실시간 영상 확인 바람."
_POLICE_EN = "Check the live view and call the police (112) if needed."
_POLICE_KO = "실시간 영상 확인 후 필요 시 112 연계 바람."
_FIRE_EN = "Check the live view and report to the fire service (119) if confirmed."
_FIRE_KO = "실시간 영상 확인 후 사실이면 119 신고 바람."

# Keyed by the event kind's value so kinds added later fall back to GENERIC until worded.
WORDINGS: dict[str, Wording] = {
    "zone_enter": Wording(
        "Zone entry",
        "구역 진입",
        "{subject_en} entered {area_en} at {time}.",
        "{time}, {place_ko}에 {subject_ko} 진입.",
        _CHECK_EN,
        _CHECK_KO,
    ),
    "zone_exit": Wording(
        "Zone exit",
        "구역 이탈",
        "{subject_en} left {area_en} at {time}.",
        "{time}, {place_ko}에서 {subject_ko} 이탈.",
        _CHECK_EN,
        _CHECK_KO,
    ),
    "line_cross": Wording(
        "Line crossing",
        "선 통과",
        "{subject_en} crossed line {line}{direction_en} on camera {camera} at {time}.",
        "{time}, {camera} 카메라 {line} 선을 {subject_ko} 통과{direction_ko}.",
        _CHECK_EN,
        _CHECK_KO,
    ),
    "loitering": Wording(
        "Loitering",
        "배회",
        "{subject_en} loitering {place_en} at {time}{dwell_en}.",
        "{time}, {place_ko}에서 {subject_ko} 배회{dwell_ko}.",
        _POLICE_EN,
        _POLICE_KO,
    ),
    "intrusion": Wording(
        "Intrusion",
        "침입",
        "{subject_en} inside restricted {area_en} at {time}.",
        "{time}, 출입 제한 구역인 {place_ko}에 {subject_ko} 침입.",
        _POLICE_EN,
        _POLICE_KO,
    ),
    "crowdRisk": Wording(
        "Crowd risk",
        "군중 밀집",
        "Crowd density {density_en}{level_en} {place_en} at {time}.",
        "{time}, {place_ko} 군중 밀도 {density_ko}{level_ko}.",
        "Consider crowd control and sharing with the police and district office.",
        "현장 통제 및 경찰·구청 상황 공유 검토 바람.",
    ),
    "buildingFire": Wording(
        "Fire",
        "화재",
        "Possible fire {place_en} at {time}{confidence_en}.",
        "{time}, {place_ko}에서 화재 의심{confidence_ko}.",
        _FIRE_EN,
        _FIRE_KO,
    ),
    "smoke": Wording(
        "Smoke",
        "연기",
        "Smoke seen {place_en} at {time}{confidence_en}.",
        "{time}, {place_ko}에서 연기 감지{confidence_ko}.",
        _FIRE_EN,
        _FIRE_KO,
    ),
    "flood": Wording(
        "Flooding",
        "침수",
        "Flooding{level_en} {place_en} at {time}.",
        "{time}, {place_ko} 침수{level_ko}.",
        "Check the live view and consider closing the road or underpass.",
        "실시간 영상 확인 후 도로·지하차도 통제 검토 바람.",
    ),
    "fallenPerson": Wording(
        "Fallen person",
        "쓰러짐",
        "A person appears to have fallen {place_en} at {time}.",
        "{time}, {place_ko}에서 쓰러진 사람 감지.",
        "Check the live view and call an ambulance (119) if confirmed.",
        "실시간 영상 확인 후 사실이면 119 구급 요청 바람.",
    ),
}
GENERIC = Wording(
    "{kind}",
    "{kind}",
    "{kind} event: {subject_en} {place_en} at {time}.",
    "{time}, {place_ko}에서 {kind} 이벤트 발생({subject_ko}).",
    _CHECK_EN,
    _CHECK_KO,
)

_CLASS_KO = {"person": "사람", "car": "차량", "bicycle": "자전거", "motorcycle": "오토바이"}
_CLASS_KO |= {"bus": "버스", "truck": "트럭", "fire": "불꽃", "smoke": "연기", "water": "물"}
_CLASS_KO |= {"object": "객체"}
_VEHICLES = frozenset({"car", "bicycle", "motorcycle", "bus", "truck", "train", "boat"})
_PLURAL_EN = {"person": "people", "bus": "buses"}
# Crowd bands (Seoul guidance) and flood statuses, as operators say them.
_LEVEL_KO = {"normal": "정상", "caution": "주의", "alert": "경계", "severe": "심각"}
_LEVEL_KO |= {"danger": "위험"}
_DIRECTION_KO = {"in": "진입 방향", "out": "진출 방향"}


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
    return ReportFacts(
        kind=alert.kind.value,
        camera=camera,
        time=_local_time(when, timezone),
        line=first.rule_id if first else alert.rule_id,
        subject_en=_subject_en(class_name, count),
        subject_ko=f"{_CLASS_KO.get(class_name, class_name)} {count}{_counter_ko(class_name)}",
        place_en=f"in zone {zone} on camera {camera}" if zone else f"on camera {camera}",
        area_en=f"zone {zone} on camera {camera}" if zone else f"the view of camera {camera}",
        place_ko=f"{camera} 카메라 {zone} 구역" if zone else f"{camera} 카메라",
        dwell_en=f", staying up to {dwell:.0f} s" if dwell is not None else "",
        dwell_ko=f"(최장 {dwell:.0f}초 체류)" if dwell is not None else "",
        level_en=f" (level {level})" if level else "",
        level_ko=f", '{_LEVEL_KO.get(level, level)}' 단계" if level else "",
        density_en=f"{value:.1f} persons/m²" if value is not None else "high",
        density_ko=f"㎡당 {value:.1f}명" if value is not None else "높음",
        confidence_en=f" (confidence {confidence:.2f})" if confidence is not None else "",
        confidence_ko=f"(신뢰도 {confidence:.2f})" if confidence is not None else "",
        direction_en=f" ({direction})" if direction else "",
        direction_ko=f"({_DIRECTION_KO.get(direction, direction)})" if direction else "",
    )


def _local_time(moment: datetime, timezone: tzinfo) -> str:
    local = moment.astimezone(timezone)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or local.strftime('%z')}"


def _subject_en(class_name: str, count: int) -> str:
    if count == 1:
        return f"1 {class_name}"
    return f"{count} {_PLURAL_EN.get(class_name, class_name + 's')}"


def _counter_ko(class_name: str) -> str:
    # Korean counts people with 명, vehicles with 대 and other things with 개.
    if class_name == "person":
        return "명"
    return "대" if class_name in _VEHICLES else "개"


def render(facts: ReportFacts) -> SituationReport:
    """A template report: label, what happened and what to do, in Korean and English."""
    wording = WORDINGS.get(facts.kind, GENERIC)
    fields = {name: getattr(facts, name) for name in ReportFacts.__slots__}
    label_en = wording.label_en.format(**fields)
    label_ko = wording.label_ko.format(**fields)
    english = f"[{label_en}] {_capitalised(wording.sentence_en.format(**fields))} "
    korean = f"[{label_ko}] {wording.sentence_ko.format(**fields)} "
    return SituationReport(
        text_ko=korean + wording.advice_ko,
        text_en=english + wording.advice_en,
        source=ReportSource.TEMPLATE,
    )


def _capitalised(sentence: str) -> str:
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
