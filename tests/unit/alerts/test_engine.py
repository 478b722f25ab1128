"""The alert engine: opening, deduplication, snoozing, restarts, ids and titles."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from factories import event_of

from cctwin.alerts.engine import AlertChange, AlertEngine, alert_id_for, title_for
from cctwin.alerts.workflow import transition
from cctwin.config import AlertRuleConfig
from cctwin.config.loader import parse_config
from cctwin.twin.names import PlaceNames
from cctwin.types import Alert, AlertStatus, Event, EventKind, Severity

T0 = datetime(2024, 3, 4, 3, 0, tzinfo=UTC)
_frames = iter(range(1, 1_000_000))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_event(t: float = 0.0, **overrides: Any) -> Event:
    fields: dict[str, Any] = {
        "kind": EventKind.INTRUSION,
        "camera_id": "cam-3",
        "rule_id": "lawn-intrusion",
        "zone_id": "lawn",
        "occurred_at": at(t),
        # A fresh frame per event keeps event ids distinct, as a real clip does.
        "frame_index": next(_frames),
        "track_id": 1,
        "class_name": "person",
        "confidence": 0.9,
        "dwell_s": 5.0,
    }
    fields.update(overrides)
    return event_of(**fields)


def line_event(t: float = 0.0, line: str = "gate-line", **overrides: Any) -> Event:
    return make_event(t, kind=EventKind.LINE_CROSS, rule_id=line, zone_id=None, **overrides)


def make_rule(**overrides: Any) -> AlertRuleConfig:
    fields: dict[str, Any] = {
        "id": "r1",
        "event_kinds": [EventKind.INTRUSION, EventKind.LINE_CROSS],
        "severity": Severity.HIGH,
        "dedupe_s": 120.0,
    }
    fields.update(overrides)
    return AlertRuleConfig(**fields)


def only(changes: list[AlertChange]) -> AlertChange:
    assert len(changes) == 1
    return changes[0]


def close(engine: AlertEngine, alert: Alert, t: float) -> Alert:
    acknowledged = transition(alert, AlertStatus.ACKNOWLEDGED, by="kim", at=at(t))
    engine.on_transition(acknowledged)
    resolved = transition(acknowledged, AlertStatus.RESOLVED, by="kim", at=at(t))
    engine.on_transition(resolved)
    return resolved


def test_first_event_opens_a_new_alert() -> None:
    event = make_event(0)
    change = only(AlertEngine([make_rule()]).on_event(event))
    assert change.created
    alert = change.alert
    assert alert == Alert(
        id=alert_id_for(make_rule(), event),
        rule_id="r1",
        camera_id="cam-3",
        kind=EventKind.INTRUSION,
        severity=Severity.HIGH,
        status=AlertStatus.NEW,
        title="Intrusion: person in lawn (cam-3)",
        title_ko="침입: lawn 구역의 사람 (cam-3)",
        opened_at=T0,
        updated_at=T0,
        event_ids=(event.id,),
        zone_id="lawn",
        class_name="person",
    )


def test_unmatched_event_changes_nothing() -> None:
    engine = AlertEngine([make_rule(cameras=["cam-1"])])
    assert engine.on_event(make_event(0)) == []
    assert engine.open_alerts == []


def test_line_alert_keeps_the_line_id_as_its_place() -> None:
    alert = only(AlertEngine([make_rule()]).on_event(line_event(0))).alert
    assert alert.zone_id == "gate-line"
    assert alert.title == "Line crossing: person at gate-line (cam-3)"


@pytest.mark.parametrize(
    ("second_after_s", "joins"),
    [
        pytest.param(0.0, True, id="same-instant"),
        pytest.param(60.0, True, id="inside"),
        pytest.param(120.0, True, id="window-edge"),
        pytest.param(120.5, False, id="just-after"),
        pytest.param(600.0, False, id="long-after"),
        pytest.param(-30.0, True, id="late-event"),
    ],
)
def test_dedupe_window(second_after_s: float, joins: bool) -> None:
    engine = AlertEngine([make_rule()])
    first = only(engine.on_event(make_event(0))).alert
    event = make_event(second_after_s)
    change = only(engine.on_event(event))
    assert change.created is not joins
    if joins:
        assert change.alert.id == first.id
        assert change.alert.event_ids == (first.event_ids[0], event.id)
        assert change.alert.updated_at == max(T0, at(second_after_s))
        assert change.alert.opened_at == T0
    else:
        assert change.alert.id != first.id
        assert change.alert.event_ids == (event.id,)
        assert engine.open_alerts == [change.alert]


def test_window_slides_with_each_joined_event() -> None:
    engine = AlertEngine([make_rule(dedupe_s=120.0)])
    changes = [only(engine.on_event(make_event(t))) for t in (0, 100, 200, 300, 500)]
    assert [c.created for c in changes] == [True, False, False, False, True]
    assert len(changes[3].alert.event_ids) == 4


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(make_event(10, zone_id="pond", rule_id="pond-x"), id="other-zone"),
        pytest.param(make_event(10, camera_id="cam-4"), id="other-camera"),
        pytest.param(line_event(10), id="zone-vs-line"),
    ],
)
def test_different_places_do_not_dedupe(second: Event) -> None:
    engine = AlertEngine([make_rule()])
    first = only(engine.on_event(make_event(0))).alert
    change = only(engine.on_event(second))
    assert change.created
    assert change.alert.id != first.id
    assert len(engine.open_alerts) == 2


def test_different_lines_do_not_dedupe() -> None:
    engine = AlertEngine([make_rule()])
    first = only(engine.on_event(line_event(0, "gate-line")))
    second = only(engine.on_event(line_event(5, "fence-line")))
    third = only(engine.on_event(line_event(10, "gate-line")))
    assert (first.created, second.created, third.created) == (True, True, False)
    assert third.alert.id == first.alert.id


def test_each_matching_rule_opens_its_own_alert() -> None:
    engine = AlertEngine([make_rule(id="r1"), make_rule(id="r2", severity=Severity.LOW)])
    changes = engine.on_event(make_event(0))
    assert [(c.alert.rule_id, c.alert.severity, c.created) for c in changes] == [
        ("r1", Severity.HIGH, True),
        ("r2", Severity.LOW, True),
    ]
    assert changes[0].alert.id != changes[1].alert.id


def test_same_event_twice_changes_nothing() -> None:
    engine = AlertEngine([make_rule()])
    event = make_event(0)
    only(engine.on_event(event))
    assert engine.on_event(event) == []


def test_acknowledged_alert_still_gathers_events() -> None:
    engine = AlertEngine([make_rule()])
    first = only(engine.on_event(make_event(0))).alert
    engine.on_transition(transition(first, AlertStatus.ACKNOWLEDGED, by="kim", at=at(5)))
    change = only(engine.on_event(make_event(30)))
    assert not change.created
    assert change.alert.status is AlertStatus.ACKNOWLEDGED
    assert change.alert.assignee == "kim"


def test_closed_alert_leaves_the_open_set() -> None:
    engine = AlertEngine([make_rule()])
    first = only(engine.on_event(make_event(0))).alert
    close(engine, first, 10)
    assert engine.open_alerts == []
    change = only(engine.on_event(make_event(20)))
    assert change.created  # no snooze configured: the next match opens a new alert at once


@pytest.mark.parametrize(
    ("after_close_s", "dropped"),
    [
        pytest.param(0.0, True, id="at-close"),
        pytest.param(1.0, True, id="inside"),
        pytest.param(299.0, True, id="near-end"),
        pytest.param(300.0, False, id="at-end"),
        pytest.param(900.0, False, id="long-after"),
    ],
)
def test_snooze_after_close(after_close_s: float, dropped: bool) -> None:
    engine = AlertEngine([make_rule(snooze_s=300.0)])
    first = only(engine.on_event(make_event(0))).alert
    close(engine, first, 60)
    changes = engine.on_event(make_event(60 + after_close_s))
    if dropped:
        assert changes == []
        assert engine.open_alerts == []
    else:
        assert only(changes).created


def test_dismissal_snoozes_too_and_only_its_place() -> None:
    engine = AlertEngine([make_rule(snooze_s=300.0)])
    first = only(engine.on_event(make_event(0))).alert
    engine.on_transition(transition(first, AlertStatus.DISMISSED, by="kim", at=at(10)))
    assert engine.on_event(make_event(20)) == []
    assert only(engine.on_event(make_event(20, camera_id="cam-4"))).created
    assert only(engine.on_event(make_event(20, zone_id="pond"))).created


def test_snooze_lets_events_through_then_dedupes_again() -> None:
    engine = AlertEngine([make_rule(snooze_s=100.0)])
    first = only(engine.on_event(make_event(0))).alert
    close(engine, first, 10)
    assert engine.on_event(make_event(50)) == []
    reopened = only(engine.on_event(make_event(110)))
    assert reopened.created
    assert not only(engine.on_event(make_event(150))).created


def test_closing_a_superseded_alert_keeps_the_newer_one_open() -> None:
    engine = AlertEngine([make_rule(dedupe_s=10.0)])
    old = only(engine.on_event(make_event(0))).alert
    new = only(engine.on_event(make_event(100))).alert
    engine.on_transition(transition(old, AlertStatus.DISMISSED, by="kim", at=at(105)))
    assert engine.open_alerts == [new]
    # A stale move on the old alert must not displace the newer open one either.
    engine.on_transition(transition(old, AlertStatus.ACKNOWLEDGED, by="kim", at=at(106)))
    assert engine.open_alerts == [new]


def test_open_alerts_from_the_store_dedupe_after_restart() -> None:
    before = AlertEngine([make_rule()])
    stored = only(before.on_event(make_event(0))).alert
    stored = transition(stored, AlertStatus.ACKNOWLEDGED, by="kim", at=at(30))
    after = AlertEngine([make_rule()], open_alerts=[stored])
    assert after.open_alerts == [stored]
    event = make_event(100)
    change = only(after.on_event(event))
    assert not change.created
    assert change.alert.id == stored.id
    assert change.alert.event_ids == (*stored.event_ids, event.id)
    assert change.alert.status is AlertStatus.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("after_update_s", "joins"),
    [pytest.param(120.0, True, id="inside"), pytest.param(121.0, False, id="outside")],
)
def test_restored_alert_window_runs_from_updated_at(after_update_s: float, joins: bool) -> None:
    stored = only(AlertEngine([make_rule()]).on_event(make_event(0))).alert
    stored = replace(stored, updated_at=at(50))
    engine = AlertEngine([make_rule()], open_alerts=[stored])
    assert only(engine.on_event(make_event(50 + after_update_s))).created is not joins


def test_restored_line_alert_dedupes_by_line() -> None:
    stored = only(AlertEngine([make_rule()]).on_event(line_event(0, "gate-line"))).alert
    engine = AlertEngine([make_rule()], open_alerts=[stored])
    assert only(engine.on_event(line_event(10, "fence-line"))).created
    assert not only(engine.on_event(line_event(10, "gate-line"))).created


def test_recently_closed_alerts_from_the_store_restore_snooze() -> None:
    stored = only(AlertEngine([make_rule()]).on_event(make_event(0))).alert
    stored = transition(stored, AlertStatus.DISMISSED, by="kim", at=at(10))
    engine = AlertEngine([make_rule(snooze_s=60.0)], open_alerts=[stored])
    assert engine.open_alerts == []
    assert engine.on_event(make_event(30)) == []
    assert only(engine.on_event(make_event(70))).created


def test_alert_ids_are_deterministic() -> None:
    events = [make_event(t) for t in (0, 200, 400)]
    runs = []
    for _ in range(2):
        engine = AlertEngine([make_rule(dedupe_s=60.0)])
        runs.append([only(engine.on_event(e)).alert.id for e in events])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3


@pytest.mark.parametrize(
    ("rule_id", "event"),
    [
        pytest.param("r2", make_event(0, frame_index=1), id="other-rule"),
        pytest.param("r1", make_event(0, frame_index=1, camera_id="cam-4"), id="other-camera"),
        pytest.param("r1", make_event(0, frame_index=2), id="other-event"),
    ],
)
def test_alert_id_depends_on_rule_camera_and_first_event(rule_id: str, event: Event) -> None:
    reference = alert_id_for(make_rule(), make_event(0, frame_index=1))
    assert alert_id_for(make_rule(), make_event(0, frame_index=1)) == reference
    assert alert_id_for(make_rule(id=rule_id), event) != reference
    assert len(reference) == 32


@pytest.mark.parametrize(
    ("event", "en", "ko"),
    [
        pytest.param(
            make_event(0),
            "Intrusion: person in lawn (cam-3)",
            "침입: lawn 구역의 사람 (cam-3)",
            id="intrusion",
        ),
        pytest.param(
            make_event(0, kind=EventKind.ZONE_ENTER, class_name="car"),
            "Zone entry: car in lawn (cam-3)",
            "구역 진입: lawn 구역의 차량 (cam-3)",
            id="zone-enter",
        ),
        pytest.param(
            make_event(0, kind=EventKind.ZONE_EXIT, class_name="bicycle"),
            "Zone exit: bicycle in lawn (cam-3)",
            "구역 이탈: lawn 구역의 자전거 (cam-3)",
            id="zone-exit",
        ),
        pytest.param(
            make_event(0, kind=EventKind.LOITERING, class_name="motorcycle"),
            "Loitering: motorcycle in lawn (cam-3)",
            "배회: lawn 구역의 오토바이 (cam-3)",
            id="loitering",
        ),
        pytest.param(
            line_event(0, class_name="bus"),
            "Line crossing: bus at gate-line (cam-3)",
            "선 통과: gate-line 선의 버스 (cam-3)",
            id="line-cross",
        ),
        pytest.param(
            make_event(0, class_name="truck", camera_id="cam-7"),
            "Intrusion: truck in lawn (cam-7)",
            "침입: lawn 구역의 트럭 (cam-7)",
            id="truck",
        ),
        pytest.param(
            make_event(0, class_name="dog"),
            "Intrusion: dog in lawn (cam-3)",
            "침입: lawn 구역의 dog (cam-3)",
            id="class-without-korean-name",
        ),
    ],
)
def test_titles(event: Event, en: str, ko: str) -> None:
    assert title_for(event, make_rule()) == {"en": en, "ko": ko}


def test_alert_title_is_english() -> None:
    event = make_event(0, kind=EventKind.INTRUSION)
    alert = only(AlertEngine([make_rule()]).on_event(event)).alert
    assert alert.title == title_for(event, make_rule())["en"]


@pytest.mark.parametrize(
    ("overrides", "en", "ko"),
    [
        (
            {"kind": EventKind.CROWD_RISK, "zone_id": "plaza", "level": "alert", "value": 4.24},
            "Crowd risk alert: 4.2 persons/m² in plaza (cam-3)",
            "군중 밀집 경계: plaza 구역 4.2명/㎡ (cam-3)",
        ),
        (
            {"kind": EventKind.FLOOD, "zone_id": "underpass", "level": "danger", "value": 31.0},
            "Flooding danger: underpass (cam-3)",
            "침수 위험: underpass (cam-3)",
        ),
        ({"kind": EventKind.BUILDING_FIRE, "zone_id": None}, "Fire (cam-3)", "화재 (cam-3)"),
        (
            {"kind": EventKind.FALLEN_PERSON, "zone_id": None},
            "Fallen person (cam-3)",
            "쓰러짐 (cam-3)",
        ),
    ],
)
def test_safety_titles_name_level_value_and_place(
    overrides: dict[str, Any], en: str, ko: str
) -> None:
    event = make_event(0, **overrides)
    assert title_for(event, make_rule()) == {"en": en, "ko": ko}


NAMED_CAMERA = """
cameras:
  - id: cam-3
    name: 공덕역 광장
    source: {url: clip.mp4}
    analytics:
      zones:
        - {id: lawn, name: 잔디밭, polygon: [[0, 0], [1, 0], [1, 1]]}
        - {id: plaza, polygon: [[0, 0], [1, 0], [1, 1]]}
      lines:
        - {id: gate-line, name: 정문, points: [[0, 0.5], [1, 0.5]]}
"""


def test_titles_use_the_names_operators_gave() -> None:
    names = PlaceNames.from_cameras(parse_config(NAMED_CAMERA).cameras)
    assert title_for(make_event(0), make_rule(), names) == {
        "en": "Intrusion: person in 잔디밭 (공덕역 광장)",
        "ko": "침입: 잔디밭 구역의 사람 (공덕역 광장)",
    }
    assert (
        title_for(line_event(0), make_rule(), names)["ko"]
        == "선 통과: 정문 선의 사람 (공덕역 광장)"
    )
    # A zone without a name keeps its id; a camera unknown to the config keeps its id.
    crowd = make_event(0, kind=EventKind.CROWD_RISK, zone_id="plaza", level="alert", value=4.0)
    assert title_for(crowd, make_rule(), names)["en"] == (
        "Crowd risk alert: 4.0 persons/m² in plaza (공덕역 광장)"
    )
    other = make_event(0, camera_id="cam-9")
    assert title_for(other, make_rule(), names)["en"] == "Intrusion: person in lawn (cam-9)"
    engine = AlertEngine([make_rule()], names=names)
    assert (
        only(engine.on_event(make_event(0))).alert.title
        == title_for(make_event(0), make_rule(), names)["en"]
    )
