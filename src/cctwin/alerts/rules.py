"""Whether one event satisfies one alert rule (the filter between signal and case)."""

from __future__ import annotations

from cctwin.analytics.rules import is_armed
from cctwin.config import AlertRuleConfig
from cctwin.types import Event


def matches(rule: AlertRuleConfig, event: Event) -> bool:
    """True when the event passes every filter of the rule; an empty filter passes everything."""
    if event.kind not in rule.event_kinds:
        return False
    if rule.cameras and event.camera_id not in rule.cameras:
        return False
    # Zone events carry the zone in zone_id; line crossings carry the line id as rule_id only,
    # and intrusion/loitering events carry their analytics rule id, so either may be named.
    if rule.zones and event.zone_id not in rule.zones and event.rule_id not in rule.zones:
        return False
    if rule.classes and event.class_name not in rule.classes:
        return False
    if rule.levels and event.level not in rule.levels:
        return False
    if not is_armed(rule.schedule, event.occurred_at):
        return False
    if rule.min_duration_s > 0:
        # An event that reports no dwell cannot prove it lasted long enough.
        return event.dwell_s is not None and event.dwell_s >= rule.min_duration_s
    return True
