"""Turns events into alerts: rule matching, deduplication into open alerts and snoozing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cctwin.alerts.rules import matches
from cctwin.catalogue import LANGUAGES, text, text_or
from cctwin.config import AlertRuleConfig
from cctwin.detect.labels import display_name
from cctwin.twin.names import PlaceNames
from cctwin.types import Alert, AlertStatus, Event, EventKind

# (alert rule id, camera id, zone or line id): events sharing a key are one situation.
_Key = tuple[str, str, str | None]

_SAFETY_KINDS = frozenset(
    {
        EventKind.CROWD_RISK,
        EventKind.BUILDING_FIRE,
        EventKind.SMOKE,
        EventKind.FLOOD,
        EventKind.FALLEN_PERSON,
    }
)


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert the engine opened (`created`) or extended with another event."""

    alert: Alert
    created: bool


def title_for(
    event: Event, rule: AlertRuleConfig, names: PlaceNames | None = None
) -> dict[str, str]:
    """Short titles per catalogue language, such as "Intrusion: person in 잔디밭 (공덕역 광장)".

    The event kind leads rather than the rule's free-text name, so each title stays in one
    language apart from the names operators gave their cameras and zones; `rule` is in the
    signature so that rule-specific wording needs no caller change. The words come from the
    message catalogue (`kind.*`, `class.*`, `level.*`, `title.*`), as on the dashboard.
    """
    names = names or PlaceNames()
    place = names.place(event.camera_id, _place_of(event))
    camera = names.camera(event.camera_id)
    return {language: _title(event, language, place, camera) for language in LANGUAGES}


def _title(event: Event, language: str, place: str, camera: str) -> str:
    lead = text(language, f"kind.{event.kind.value}")
    if event.kind in _SAFETY_KINDS:
        return _safety_title(event, language, lead, place, camera)
    what = display_name(event.class_name, language)
    key = "title.line" if event.zone_id is None else "title.zone"
    return text(language, key, lead=lead, what=what, place=place, camera=camera)


def _safety_title(event: Event, language: str, lead: str, place: str, camera: str) -> str:
    """Fire and falls name the camera; crowd and flood name the zone, level and value."""
    if event.level is not None:
        level = text_or(language, f"level.{event.level}", event.level)
        lead = text(language, "title.level", lead=lead, level=level)
    if event.kind is EventKind.CROWD_RISK and event.value is not None:
        density = f"{event.value:.1f}"
        return text(language, "title.crowd", lead=lead, density=density, place=place, camera=camera)
    if event.kind is EventKind.FLOOD:
        return text(language, "title.place", lead=lead, place=place, camera=camera)
    return text(language, "title.camera", lead=lead, camera=camera)


def alert_id_for(rule: AlertRuleConfig, event: Event) -> str:
    """Stable id: replaying the same events through the same rules opens the same alerts."""
    key = f"{rule.id}/{event.camera_id}/{event.id}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"cctwin:alert:{key}").hex


def _place_of(event: Event) -> str:
    # Line crossings have no zone; the line's id arrives as the event's rule_id.
    return event.zone_id if event.zone_id is not None else event.rule_id


def _key_of_alert(alert: Alert) -> _Key:
    return (alert.rule_id, alert.camera_id, alert.zone_id)


class AlertEngine:
    """Pure state machine from events to alert changes; the caller persists and publishes.

    It holds the latest open alert per (rule, camera, zone or line) and, per key, the snooze
    window that the last close started. The service passes the alerts it loaded from the store
    at start-up (so deduplication survives a restart) and reports every operator move through
    `on_transition`. Alert.zone_id holds the zone id, or the line id for line crossings, so the
    key can be rebuilt from a stored alert.
    """

    def __init__(
        self,
        rules: Sequence[AlertRuleConfig],
        open_alerts: Sequence[Alert] = (),
        names: PlaceNames | None = None,
    ) -> None:
        self._rules = list(rules)
        self._names = names or PlaceNames()
        self._rules_by_id = {rule.id: rule for rule in self._rules}
        self._open: dict[_Key, Alert] = {}
        # Last activity per open alert id: never moves back, whatever time an operator move has.
        self._last_activity: dict[str, datetime] = {}
        self._snoozes: dict[_Key, tuple[datetime, datetime]] = {}
        for alert in open_alerts:
            # Recently closed alerts may be passed too: they restore their snooze windows.
            self.on_transition(alert)

    @property
    def open_alerts(self) -> list[Alert]:
        """The open alerts new events can join (the latest one per rule, camera and place)."""
        return list(self._open.values())

    def on_event(self, event: Event) -> list[AlertChange]:
        """Alerts opened or extended by one event, one change per matching rule at most."""
        changes: list[AlertChange] = []
        for rule in self._rules:
            if not matches(rule, event):
                continue
            change = self._apply(rule, event)
            if change is not None:
                changes.append(change)
        return changes

    def on_transition(self, alert: Alert) -> None:
        """Learn about an operator's move: closed alerts leave the open set and start snoozing."""
        key = _key_of_alert(alert)
        current = self._open.get(key)
        if alert.is_open:
            # An older alert of the same key no longer gathers events; the newer one does.
            if current is None or current.id == alert.id or current.opened_at <= alert.opened_at:
                self._open[key] = alert
                previous = self._last_activity.get(alert.id, alert.updated_at)
                self._last_activity[alert.id] = max(previous, alert.updated_at)
            return
        if current is not None and current.id == alert.id:
            del self._open[key]
        self._last_activity.pop(alert.id, None)
        rule = self._rules_by_id.get(alert.rule_id)
        if rule is None or rule.snooze_s <= 0:
            return
        closed_at = alert.closed_at if alert.closed_at is not None else alert.updated_at
        until = closed_at + timedelta(seconds=rule.snooze_s)
        snooze = self._snoozes.get(key)
        if snooze is None or snooze[1] < until:
            self._snoozes[key] = (closed_at, until)

    def _apply(self, rule: AlertRuleConfig, event: Event) -> AlertChange | None:
        at = event.occurred_at
        key: _Key = (rule.id, event.camera_id, _place_of(event))
        current = self._open.get(key)
        if current is not None:
            if event.id in current.event_ids:
                return None  # the same event delivered twice changes nothing
            last = self._last_activity.get(current.id, current.updated_at)
            # Events older than the last activity (late or out of order) still belong to it.
            if at - last <= timedelta(seconds=rule.dedupe_s):
                joined = replace(
                    current,
                    event_ids=(*current.event_ids, event.id),
                    updated_at=max(current.updated_at, at),
                )
                self._open[key] = joined
                self._last_activity[current.id] = max(last, at)
                return AlertChange(joined, created=False)
        snooze = self._snoozes.get(key)
        if snooze is not None:
            if snooze[0] <= at < snooze[1]:
                return None
            if at >= snooze[1]:
                del self._snoozes[key]  # expired; events only move forward in time per camera
        titles = title_for(event, rule, self._names)
        alert = Alert(
            id=alert_id_for(rule, event),
            rule_id=rule.id,
            camera_id=event.camera_id,
            kind=event.kind,
            severity=rule.severity,
            status=AlertStatus.NEW,
            title=titles["en"],
            title_ko=titles["ko"],
            opened_at=at,
            updated_at=at,
            event_ids=(event.id,),
            zone_id=_place_of(event),
            class_name=event.class_name,
        )
        if current is not None:
            self._last_activity.pop(current.id, None)
        self._open[key] = alert
        self._last_activity[alert.id] = at
        return AlertChange(alert, created=True)
