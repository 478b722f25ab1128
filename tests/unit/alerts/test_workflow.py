"""The alert workflow: every legal and illegal move, closing, assignment and notes."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cctwin.alerts.workflow import IllegalTransition, add_note, allowed_transitions, transition
from cctwin.types import ALERT_TRANSITIONS, Alert, AlertNote, AlertStatus, EventKind, Severity

T0 = datetime(2024, 3, 4, 3, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)

LEGAL = [(a, b) for a in AlertStatus for b in AlertStatus if b in ALERT_TRANSITIONS[a]]
ILLEGAL = [(a, b) for a in AlertStatus for b in AlertStatus if b not in ALERT_TRANSITIONS[a]]
CLOSING = {AlertStatus.RESOLVED, AlertStatus.DISMISSED}


def make_alert(status: AlertStatus = AlertStatus.NEW, assignee: str | None = None) -> Alert:
    return Alert(
        id="a1",
        rule_id="r1",
        camera_id="cam-3",
        kind=EventKind.INTRUSION,
        severity=Severity.HIGH,
        status=status,
        title="Intrusion: person in lawn (cam-3)",
        opened_at=T0,
        updated_at=T0,
        event_ids=("e1",),
        zone_id="lawn",
        class_name="person",
        assignee=assignee,
        closed_at=T0 if status in CLOSING else None,
    )


def test_tables_cover_every_pair() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(AlertStatus) ** 2
    assert len(LEGAL) == 8


@pytest.mark.parametrize(("start", "to"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition(start: AlertStatus, to: AlertStatus) -> None:
    before = make_alert(start)
    after = transition(before, to, by="kim", at=LATER)
    assert after.status is to
    assert after.updated_at == LATER
    assert after.closed_at == (LATER if to in CLOSING else None)
    assert (after.id, after.event_ids, after.opened_at) == (before.id, before.event_ids, T0)
    assert before.status is start  # the input is never changed


@pytest.mark.parametrize(("start", "to"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_raises(start: AlertStatus, to: AlertStatus) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(make_alert(start), to, by="kim", at=LATER)
    assert (caught.value.alert_id, caught.value.from_status, caught.value.to_status) == (
        "a1",
        start,
        to,
    )
    assert str(caught.value) == f"alert a1 is {start}; it cannot become {to}"


def test_illegal_message_example() -> None:
    with pytest.raises(
        IllegalTransition, match="alert a1 is resolved; it cannot become acknowledged"
    ):
        transition(make_alert(AlertStatus.RESOLVED), AlertStatus.ACKNOWLEDGED, by="kim", at=LATER)


@pytest.mark.parametrize(
    ("start", "to", "assignee", "expected"),
    [
        pytest.param(AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, None, "kim", id="ack-takes"),
        pytest.param(AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, "lee", "lee", id="ack-keeps"),
        pytest.param(AlertStatus.NEW, AlertStatus.ESCALATED, None, None, id="escalate-no-owner"),
        pytest.param(AlertStatus.NEW, AlertStatus.DISMISSED, None, None, id="dismiss-no-owner"),
        pytest.param(AlertStatus.ESCALATED, AlertStatus.RESOLVED, "lee", "lee", id="resolve-keeps"),
    ],
)
def test_assignee(
    start: AlertStatus, to: AlertStatus, assignee: str | None, expected: str | None
) -> None:
    after = transition(make_alert(start, assignee), to, by="kim", at=LATER)
    assert after.assignee == expected


def test_transition_note_is_appended() -> None:
    first = transition(make_alert(), AlertStatus.ACKNOWLEDGED, by="kim", at=LATER, note="on it")
    second = transition(first, AlertStatus.RESOLVED, by="lee", at=LATER + timedelta(1), note="ok")
    assert second.notes == (
        AlertNote(author="kim", text="on it", written_at=LATER),
        AlertNote(author="lee", text="ok", written_at=LATER + timedelta(1)),
    )


@pytest.mark.parametrize("note", [None, "", "   "])
def test_transition_without_note_adds_none(note: str | None) -> None:
    after = transition(make_alert(), AlertStatus.ACKNOWLEDGED, by="kim", at=LATER, note=note)
    assert after.notes == ()


def test_add_note_appends_and_touches() -> None:
    alert = add_note(make_alert(), "kim", "called the patrol", LATER)
    alert = add_note(alert, "lee", " patrol arrived ", LATER + timedelta(minutes=1))
    assert [n.text for n in alert.notes] == ["called the patrol", "patrol arrived"]
    assert [n.author for n in alert.notes] == ["kim", "lee"]
    assert alert.updated_at == LATER + timedelta(minutes=1)
    assert alert.status is AlertStatus.NEW


def test_add_note_on_closed_alert() -> None:
    closed = make_alert(AlertStatus.RESOLVED)
    assert add_note(closed, "kim", "reviewed", LATER).notes[-1].text == "reviewed"


@pytest.mark.parametrize("text", ["", "  \n"])
def test_add_note_rejects_blank(text: str) -> None:
    with pytest.raises(ValueError, match="text"):
        add_note(make_alert(), "kim", text, LATER)


@pytest.mark.parametrize("status", list(AlertStatus))
def test_allowed_transitions(status: AlertStatus) -> None:
    allowed = allowed_transitions(make_alert(status))
    assert set(allowed) == ALERT_TRANSITIONS[status]
    assert allowed == [s for s in AlertStatus if s in allowed]  # workflow order


def test_allowed_transitions_of_new() -> None:
    assert allowed_transitions(make_alert()) == [
        AlertStatus.ACKNOWLEDGED,
        AlertStatus.ESCALATED,
        AlertStatus.DISMISSED,
    ]


def test_closed_at_survives_notes() -> None:
    resolved = transition(make_alert(AlertStatus.ACKNOWLEDGED), AlertStatus.RESOLVED, "k", LATER)
    assert replace(add_note(resolved, "k", "x", LATER + timedelta(1)), notes=()).closed_at == LATER
