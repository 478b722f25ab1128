"""JSON records of events and observations, as written to events.jsonl and sent on the bus."""

from __future__ import annotations

from typing import Any

from cctwin.types import Event, Observation


def event_record(event: Event) -> dict[str, Any]:
    """An event as a flat JSON object; `topic` is its ONVIF Profile M analytics topic."""
    record: dict[str, Any] = {
        "id": event.id,
        "kind": event.kind.value,
        "topic": event.kind.onvif_topic,
        "camera_id": event.camera_id,
        "rule_id": event.rule_id,
        "occurred_at": event.occurred_at.isoformat(),
        "frame": event.frame_index,
        "track_id": event.track_id,
        "class_name": event.class_name,
        "confidence": event.confidence,
    }
    if event.zone_id is not None:
        record["zone_id"] = event.zone_id
    if event.direction is not None:
        record["direction"] = event.direction.value
    if event.dwell_s is not None:
        record["dwell_s"] = event.dwell_s
    if event.level is not None:
        record["level"] = event.level
    if event.value is not None:
        record["value"] = event.value
    if event.region is not None:
        record["region"] = list(event.region)
    return record


def observation_record(observation: Observation) -> dict[str, Any]:
    """An observation as a flat JSON object."""
    record: dict[str, Any] = {
        "kind": observation.kind.value,
        "camera_id": observation.camera_id,
        "rule_id": observation.rule_id,
        "observed_at": observation.observed_at.isoformat(),
        "value": observation.value,
    }
    if observation.class_name is not None:
        record["class_name"] = observation.class_name
    if observation.level is not None:
        record["level"] = observation.level
    if observation.method is not None:
        record["method"] = observation.method
    return record
