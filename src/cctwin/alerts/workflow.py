"""The operator's alert workflow: legal status moves, assignment, closing and notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cctwin.types import ALERT_TRANSITIONS, Alert, AlertNote, AlertStatus

_CLOSING = frozenset({AlertStatus.RESOLVED, AlertStatus.DISMISSED})


class IllegalTransition(Exception):  # noqa: N818 - the domain name reads better than ...Error
    """A status move the workflow does not allow (the API answers 409)."""

    def __init__(self, alert_id: str, from_status: AlertStatus, to_status: AlertStatus) -> None:
        self.alert_id = alert_id
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"alert {alert_id} is {from_status}; it cannot become {to_status}")


def allowed_transitions(alert: Alert) -> list[AlertStatus]:
    """The statuses the alert may move to next, in workflow order."""
    allowed = ALERT_TRANSITIONS[alert.status]
    return [status for status in AlertStatus if status in allowed]


def transition(
    alert: Alert, to: AlertStatus, by: str, at: datetime, note: str | None = None
) -> Alert:
    """The alert after `by` moves it to `to` at `at`; raises IllegalTransition otherwise."""
    if to not in ALERT_TRANSITIONS[alert.status]:
        raise IllegalTransition(alert.id, alert.status, to)
    assignee = alert.assignee
    if to is AlertStatus.ACKNOWLEDGED and assignee is None:
        # Whoever acknowledges an unassigned alert owns it; an earlier assignment stands.
        assignee = by
    notes = alert.notes
    # A blank note is an empty form field, not a remark worth keeping.
    if note is not None and note.strip():
        notes = (*notes, AlertNote(author=by, text=note.strip(), written_at=at))
    return replace(
        alert,
        status=to,
        updated_at=at,
        assignee=assignee,
        closed_at=at if to in _CLOSING else alert.closed_at,
        notes=notes,
    )


def add_note(alert: Alert, author: str, text: str, at: datetime) -> Alert:
    """The alert with a remark appended; closed alerts take notes too (post-incident review)."""
    if not text.strip():
        raise ValueError("a note needs some text")
    note = AlertNote(author=author, text=text.strip(), written_at=at)
    return replace(alert, updated_at=at, notes=(*alert.notes, note))
