"""An alert as operators and integrators see it: the AlertView wire model of an Alert."""

from __future__ import annotations

from cctwin.alerts.workflow import allowed_transitions
from cctwin.messages import AlertView, NoteView
from cctwin.types import Alert


def alert_view(alert: Alert, titles: dict[str, str] | None = None) -> AlertView:
    """The wire view of `alert`; titles default to those stored with it."""
    title_en = (titles or {}).get("en", alert.title)
    title_ko = (titles or {}).get("ko", alert.title_ko or alert.title)
    return AlertView(
        id=alert.id,
        rule_id=alert.rule_id,
        camera_id=alert.camera_id,
        kind=alert.kind,
        severity=alert.severity,
        status=alert.status,
        title=alert.title,
        title_ko=title_ko,
        title_en=title_en,
        opened_at=alert.opened_at,
        updated_at=alert.updated_at,
        closed_at=alert.closed_at,
        assignee=alert.assignee,
        zone_id=alert.zone_id,
        class_name=alert.class_name,
        event_ids=list(alert.event_ids),
        snapshot_url=f"/api/snapshots/{alert.snapshot_id}.jpg" if alert.snapshot_id else None,
        clip_url=f"/api/clips/{alert.clip_id}.mp4" if alert.clip_id else None,
        notes=[
            NoteView(author=n.author, text=n.text, written_at=n.written_at) for n in alert.notes
        ],
        allowed_transitions=allowed_transitions(alert),
    )
