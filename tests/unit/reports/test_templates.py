"""Template situation reports: every kind worded in Korean and English, facts from detections."""

import asyncio
import dataclasses
from datetime import UTC, timedelta

import pytest

from cctwin.reports import ReportSource, TemplateReporter
from cctwin.reports.templates import GENERIC, WORDINGS, facts_of, render
from cctwin.twin.names import PlaceNames
from cctwin.types import Alert, Direction, Event, EventKind


def test_loitering_report_names_kind_place_count_time_and_dwell(
    loitering: tuple[Alert, list[Event]],
) -> None:
    alert, events = loitering
    report = asyncio.run(TemplateReporter().report(alert, events, None))
    assert report.source is ReportSource.TEMPLATE
    assert (report.verified, report.confidence, report.model, report.error) == (None,) * 4
    assert report.text_ko.startswith("[배회] 2026-11-25 09:00:05 KST, cam-3 카메라 lawn 구역")
    assert "사람 2명 배회(최장 95초 체류)" in report.text_ko
    assert "112" in report.text_ko
    assert report.text_en.startswith("[Loitering] 2 people loitering in zone lawn on camera cam-3")
    assert "at 2026-11-25 09:00:05 KST, staying up to 95 s." in report.text_en


def test_reports_use_the_names_operators_gave(loitering: tuple[Alert, list[Event]]) -> None:
    alert, events = loitering
    names = PlaceNames({"cam-3": "공덕역 광장"}, {("cam-3", "lawn"): "잔디밭"})
    report = TemplateReporter(names=names).write(alert, events)
    assert report.text_ko.startswith(
        "[배회] 2026-11-25 09:00:05 KST, 공덕역 광장 카메라 잔디밭 구역"
    )
    assert report.text_en.startswith(
        "[Loitering] 2 people loitering in zone 잔디밭 on camera 공덕역 광장"
    )


def test_every_event_kind_has_its_own_wording() -> None:
    missing = [kind.value for kind in EventKind if kind.value not in WORDINGS]
    assert missing == []
    for kind in ("crowdRisk", "buildingFire", "smoke", "flood", "fallenPerson"):
        assert WORDINGS[kind] is not GENERIC


@pytest.mark.parametrize(
    ("kind", "changes", "korean", "english"),
    [
        (
            EventKind.CROWD_RISK,
            {"track_id": -1, "level": "severe", "value": 5.23},
            "[군중 밀집] 2026-11-25 09:00:05 KST, cam-3 카메라 lawn 구역 군중 밀도 ㎡당 5.2명, '심각' 단계.",
            "Crowd density 5.2 persons/m² (level severe) in zone lawn on camera cam-3",
        ),
        (
            EventKind.BUILDING_FIRE,
            {"track_id": -1, "class_name": "fire", "confidence": 0.91, "zone_id": None},
            "cam-3 카메라에서 화재 의심(신뢰도 0.91). 실시간 영상 확인 후 사실이면 119 신고 바람.",
            "[Fire] Possible fire on camera cam-3 at 2026-11-25 09:00:05 KST (confidence 0.91).",
        ),
        (
            EventKind.SMOKE,
            {"track_id": -1, "class_name": "smoke", "zone_id": None},
            "cam-3 카메라에서 연기 감지(신뢰도 0.80)",
            "[Smoke] Smoke seen on camera cam-3",
        ),
        (
            EventKind.FLOOD,
            {"track_id": -1, "class_name": "water", "level": "danger", "value": 0.4},
            "cam-3 카메라 lawn 구역 침수, '위험' 단계. 실시간 영상 확인 후 도로·지하차도 통제 검토",
            "[Flooding] Flooding (level danger) in zone lawn on camera cam-3",
        ),
        (
            EventKind.FALLEN_PERSON,
            {},
            "lawn 구역에서 쓰러진 사람 감지. 실시간 영상 확인 후 사실이면 119 구급 요청 바람.",
            "[Fallen person] A person appears to have fallen in zone lawn on camera cam-3",
        ),
        (
            EventKind.LINE_CROSS,
            {"zone_id": None, "rule_id": "gate", "direction": Direction.IN, "class_name": "car"},
            "cam-3 카메라 gate 선을 차량 1대 통과(진입 방향).",
            "[Line crossing] 1 car crossed line gate (in) on camera cam-3",
        ),
        (
            EventKind.INTRUSION,
            {},
            "출입 제한 구역인 cam-3 카메라 lawn 구역에 사람 1명 침입.",
            "[Intrusion] 1 person inside restricted zone lawn on camera cam-3",
        ),
    ],
)
def test_safety_and_rule_kinds_read_as_reports(
    make_alert, make_event, kind, changes, korean, english
) -> None:
    event = make_event(kind, **changes)
    alert = make_alert(kind, zone_id=event.zone_id, class_name=event.class_name)
    report = TemplateReporter().write(alert, [event])
    assert korean in report.text_ko
    assert english in report.text_en


def test_unknown_kinds_fall_back_to_generic_sentences(make_alert) -> None:
    facts = facts_of(make_alert(EventKind.INTRUSION), [], UTC)
    report = render(dataclasses.replace(facts, kind="fight"))
    assert report.text_en.startswith("[fight] Fight event: 1 person in zone lawn on camera cam-3")
    assert "cam-3 카메라 lawn 구역에서 fight 이벤트 발생(사람 1명)" in report.text_ko


def test_time_zone_is_configurable_and_first_event_time_is_used(make_alert, make_event) -> None:
    alert = make_alert(EventKind.ZONE_ENTER)
    later = make_event(EventKind.ZONE_ENTER, occurred_at=alert.opened_at + timedelta(minutes=2))
    earlier = make_event(EventKind.ZONE_ENTER, track_id=2)
    report = TemplateReporter("UTC").write(alert, [later, earlier])
    assert "2 people entered zone lawn on camera cam-3 at 2026-11-25 00:00:05 UTC." in (
        report.text_en
    )


def test_without_events_the_alert_alone_is_reported(make_alert) -> None:
    alert = make_alert(EventKind.ZONE_EXIT, zone_id=None, class_name=None)
    report = TemplateReporter().write(alert, [])
    assert report.text_en.startswith("[Zone exit] 1 object left the view of camera cam-3 at")
    assert "cam-3 카메라에서 객체 1개 이탈." in report.text_ko
