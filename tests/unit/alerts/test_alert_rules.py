"""Alert rule matching: each filter on its own, schedules across midnight, least duration."""

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import event_of

from cctwin.alerts.rules import matches
from cctwin.config import AlertRuleConfig, ScheduleConfig, Weekday
from cctwin.types import Event, EventKind

KST = ZoneInfo("Asia/Seoul")
# Monday 2024-03-04 12:00 in Seoul.
NOON = datetime(2024, 3, 4, 12, 0, tzinfo=KST)


def make_event(**overrides: Any) -> Event:
    fields: dict[str, Any] = {
        "kind": EventKind.INTRUSION,
        "camera_id": "cam-3",
        "rule_id": "lawn-intrusion",
        "zone_id": "lawn",
        "occurred_at": NOON,
        "frame_index": 10,
        "track_id": 1,
        "class_name": "person",
        "confidence": 0.9,
        "dwell_s": 5.0,
    }
    fields.update(overrides)
    return event_of(**fields)


def make_rule(**overrides: Any) -> AlertRuleConfig:
    fields: dict[str, Any] = {"id": "r1", "event_kinds": [EventKind.INTRUSION]}
    fields.update(overrides)
    return AlertRuleConfig(**fields)


@pytest.mark.parametrize(
    ("rule", "event", "expected"),
    [
        pytest.param(make_rule(), make_event(), True, id="defaults-match-everything-of-kind"),
        pytest.param(
            make_rule(), make_event(kind=EventKind.LOITERING), False, id="kind-not-listed"
        ),
        pytest.param(
            make_rule(event_kinds=[EventKind.LOITERING, EventKind.INTRUSION]),
            make_event(kind=EventKind.LOITERING),
            True,
            id="kind-one-of-several",
        ),
        pytest.param(make_rule(cameras=["cam-3"]), make_event(), True, id="camera-listed"),
        pytest.param(make_rule(cameras=["cam-1"]), make_event(), False, id="camera-not-listed"),
        pytest.param(make_rule(zones=["lawn"]), make_event(), True, id="zone-id-listed"),
        pytest.param(
            make_rule(zones=["lawn-intrusion"]), make_event(), True, id="analytics-rule-id-listed"
        ),
        pytest.param(make_rule(zones=["gate"]), make_event(), False, id="zone-not-listed"),
        pytest.param(
            make_rule(event_kinds=[EventKind.LINE_CROSS], zones=["gate-line"]),
            make_event(kind=EventKind.LINE_CROSS, rule_id="gate-line", zone_id=None),
            True,
            id="line-id-arrives-as-rule-id",
        ),
        pytest.param(
            make_rule(event_kinds=[EventKind.LINE_CROSS], zones=["other-line"]),
            make_event(kind=EventKind.LINE_CROSS, rule_id="gate-line", zone_id=None),
            False,
            id="line-not-listed",
        ),
        pytest.param(make_rule(classes=["person"]), make_event(), True, id="class-listed"),
        pytest.param(
            make_rule(classes=["car", "truck"]), make_event(), False, id="class-not-listed"
        ),
        pytest.param(make_rule(classes=[]), make_event(class_name="dog"), True, id="class-any"),
        pytest.param(make_rule(min_duration_s=5.0), make_event(), True, id="dwell-equal"),
        pytest.param(make_rule(min_duration_s=5.1), make_event(), False, id="dwell-short"),
        pytest.param(
            make_rule(min_duration_s=1.0), make_event(dwell_s=None), False, id="no-dwell-needed"
        ),
        pytest.param(
            make_rule(min_duration_s=0.0), make_event(dwell_s=None), True, id="no-dwell-zero"
        ),
    ],
)
def test_filters(rule: AlertRuleConfig, event: Event, expected: bool) -> None:
    assert matches(rule, event) is expected


NIGHT = ScheduleConfig(days=[Weekday.MON], start=time(22, 0), end=time(6, 0), timezone="Asia/Seoul")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        pytest.param(datetime(2024, 3, 4, 21, 59, tzinfo=KST), False, id="mon-before-start"),
        pytest.param(datetime(2024, 3, 4, 22, 0, tzinfo=KST), True, id="mon-at-start"),
        pytest.param(datetime(2024, 3, 4, 23, 30, tzinfo=KST), True, id="mon-late"),
        pytest.param(datetime(2024, 3, 5, 2, 0, tzinfo=KST), True, id="tue-early-belongs-to-mon"),
        pytest.param(datetime(2024, 3, 5, 6, 1, tzinfo=KST), False, id="tue-after-end"),
        pytest.param(datetime(2024, 3, 5, 23, 0, tzinfo=KST), False, id="tue-night-not-armed"),
        pytest.param(datetime(2024, 3, 4, 2, 0, tzinfo=KST), False, id="mon-early-belongs-to-sun"),
        # 17:00 UTC on Monday is 02:00 Tuesday in Seoul: the zone, not UTC, decides.
        pytest.param(datetime(2024, 3, 4, 17, 0, tzinfo=UTC), True, id="utc-instant-in-seoul"),
        pytest.param(datetime(2024, 3, 4, 12, 0, tzinfo=UTC), False, id="utc-noon-is-seoul-21h"),
    ],
)
def test_schedule_across_midnight_in_seoul(local: datetime, expected: bool) -> None:
    rule = make_rule(schedule=NIGHT)
    assert matches(rule, make_event(occurred_at=local)) is expected


def test_no_schedule_is_always_armed() -> None:
    assert matches(
        make_rule(schedule=None), make_event(occurred_at=datetime(2024, 1, 1, tzinfo=UTC))
    )


@pytest.mark.parametrize(
    ("level", "expected"),
    [("alert", True), ("severe", True), ("caution", False), (None, False)],
)
def test_levels_filter_keeps_only_the_levels_named(level: str | None, expected: bool) -> None:
    rule = make_rule(event_kinds=[EventKind.CROWD_RISK], levels=["alert", "severe"])
    event = make_event(kind=EventKind.CROWD_RISK, level=level, value=4.2, dwell_s=None)
    assert matches(rule, event) is expected
