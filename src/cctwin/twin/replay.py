"""The twin at a moment (replay) and an attribute's chart series, from the twin's history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from cctwin.store.history import SeriesPoint, ValueAt
from cctwin.store.rows import EventFilter, EventPage
from cctwin.types import Alert, Event

# Attributes a zone or camera shows in replay (Smart Data Models names, core @context).
ZONE_ATTRS = (
    "peopleCount",
    "density",
    "visibleWalkableArea",
    "riskLevel",
    "congested",
    "averageCrowdSpeed",
    "currentLevel",
    "coverage",
    "floodLevelStatus",
)
CAMERA_ATTRS = ("deviceState",)
# Types cctwin publishes itself; any other entity in the twin came from another system.
OWN_TYPES = ("Building", "Camera", "Device", "CrowdFlowObserved", "FloodMonitoring", "Alert")
_ZONE_TYPES = {"CrowdFlowObserved": "crowd", "FloodMonitoring": "flood"}
EVENTS_LIMIT = 50


class HistoryReader(Protocol):
    """The twin's history (store/history.py)."""

    def values_at(self, at_ts: float, lookback_s: float, attrs: Sequence[str]) -> list[ValueAt]: ...

    def others_at(
        self, at_ts: float, lookback_s: float, own_types: Sequence[str]
    ) -> list[ValueAt]: ...

    def series(
        self, entity_id: str, attr: str, start_ts: float, end_ts: float, step_s: float
    ) -> list[SeriesPoint]: ...


class RecordReader(Protocol):
    """Alerts, events and their media in the store of record (store/replay.py, events.py)."""

    def alerts_open_at(
        self, at: datetime, camera_ids: Sequence[str] = (), limit: int = 200
    ) -> list[Alert]: ...

    def list_events(
        self, filter: EventFilter, limit: int = 50, cursor: str | None = None
    ) -> EventPage: ...

    def media_of_events(self, event_ids: Sequence[str]) -> dict[str, dict[str, str]]: ...


class ZoneAt(BaseModel):
    """A zone's values at the moment (each the newest within the look-back)."""

    entity_id: str
    kind: Literal["crowd", "flood"]
    camera_id: str
    zone_id: str
    values: dict[str, Any]
    observed_at: datetime
    # 60 when the newest value is a one-minute rollup (older than the raw history).
    resolution_s: float = 0.0


class OtherAt(BaseModel):
    """An entity another system pushed (a rain gauge...): its attributes' values then."""

    entity_id: str
    type: str
    values: dict[str, Any]
    observed_at: datetime


class CameraAt(BaseModel):
    camera_id: str
    state: str
    observed_at: datetime


class Evidence(BaseModel):
    snapshot_url: str | None = None
    clip_url: str | None = None


class AlertAt(Evidence):
    id: str
    kind: str
    severity: str
    status: str
    title: str
    title_ko: str | None
    camera_id: str
    zone_id: str | None
    opened_at: datetime
    closed_at: datetime | None


class EventAt(Evidence):
    id: str
    kind: str
    camera_id: str
    zone_id: str | None
    class_name: str
    occurred_at: datetime


class TwinAt(BaseModel):
    """GET /api/twin/at: everything the map and panels show for one moment."""

    time: datetime
    lookback_s: float
    window_s: float
    zones: list[ZoneAt]
    cameras: list[CameraAt]
    alerts: list[AlertAt]
    events: list[EventAt]
    others: list[OtherAt] = Field(default_factory=list)


class SeriesRead(BaseModel):
    """GET /api/twin/history: one attribute of one zone in steps, as columns for charts:
    each step's start, the mean and maximum of its values, its last value, how many rows."""

    entity_id: str
    attr: str
    step_s: float
    start: datetime
    end: datetime
    time: list[datetime] = Field(default_factory=list)
    mean: list[float] = Field(default_factory=list)
    max: list[float] = Field(default_factory=list)
    last: list[float] = Field(default_factory=list)
    rows: list[int] = Field(default_factory=list)


def _stamp(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _snapshot(media_id: str | None) -> str | None:
    return None if media_id is None else f"/api/snapshots/{media_id}.jpg"


def _clip(media_id: str | None) -> str | None:
    return None if media_id is None else f"/api/clips/{media_id}.mp4"


def twin_at(
    history: HistoryReader,
    records: RecordReader,
    at: datetime,
    lookback_s: float,
    window_s: float,
    sees: Callable[[str], bool],
    expand: Callable[[str], str],
    compact: Callable[[str], str] = str,
) -> TwinAt:
    """The twin at `at`: zones and cameras from the history, alerts open then (with their
    status then), events around it (`window_s` either side) with their evidence, only of
    cameras `sees` lets through; and the entities other systems pushed, as they were."""
    names = {expand(a): a for a in (*ZONE_ATTRS, *CAMERA_ATTRS)}
    values = history.values_at(at.timestamp(), lookback_s, list(names))
    zones: dict[str, ZoneAt] = {}
    cameras: list[CameraAt] = []
    for value in values:
        parts = value.entity_id.split(":")  # urn:ngsi-ld:Type:camera[:zone]
        if len(parts) < 4 or not sees(parts[3]):
            continue
        name = names[value.attr]
        if parts[2] == "Device" and name == "deviceState":
            cameras.append(
                CameraAt(
                    camera_id=parts[3],
                    state=str(value.value),
                    observed_at=_stamp(value.observed_ts),
                )
            )
            continue
        kind = _ZONE_TYPES.get(parts[2])
        if kind is None or len(parts) < 5:
            continue
        zone = zones.get(value.entity_id)
        if zone is None:
            zone = zones[value.entity_id] = ZoneAt(
                entity_id=value.entity_id,
                kind=kind,
                camera_id=parts[3],
                zone_id=":".join(parts[4:]),
                values={},
                observed_at=_stamp(value.observed_ts),
                resolution_s=value.resolution_s,
            )
        zone.values[name] = value.value
        if value.observed_ts > zone.observed_at.timestamp():
            zone.observed_at = _stamp(value.observed_ts)
            zone.resolution_s = value.resolution_s
    alerts = [a for a in records.alerts_open_at(at) if sees(a.camera_id)]
    others = _others_at(history, at, lookback_s, expand, compact)
    return TwinAt(
        time=at,
        lookback_s=lookback_s,
        window_s=window_s,
        zones=sorted(zones.values(), key=lambda z: z.entity_id),
        cameras=sorted(cameras, key=lambda c: c.camera_id),
        alerts=[_alert_at(a) for a in alerts],
        events=_events_around(records, at, window_s, sees),
        others=others,
    )


def _others_at(
    history: HistoryReader,
    at: datetime,
    lookback_s: float,
    expand: Callable[[str], str],
    compact: Callable[[str], str],
) -> list[OtherAt]:
    own = [expand(t) for t in OWN_TYPES]
    found: dict[str, OtherAt] = {}
    for value in history.others_at(at.timestamp(), lookback_s, own):
        other = found.get(value.entity_id)
        if other is None:
            other = found[value.entity_id] = OtherAt(
                entity_id=value.entity_id,
                type=compact(value.entity_type),
                values={},
                observed_at=_stamp(value.observed_ts),
            )
        other.values[compact(value.attr)] = value.value
        other.observed_at = max(other.observed_at, _stamp(value.observed_ts))
    return sorted(found.values(), key=lambda o: o.entity_id)


def _alert_at(alert: Alert) -> AlertAt:
    return AlertAt(
        id=alert.id,
        kind=alert.kind.value,
        severity=alert.severity.value,
        status=alert.status.value,
        title=alert.title,
        title_ko=alert.title_ko,
        camera_id=alert.camera_id,
        zone_id=alert.zone_id,
        opened_at=alert.opened_at,
        closed_at=alert.closed_at,
        snapshot_url=_snapshot(alert.snapshot_id),
        clip_url=_clip(alert.clip_id),
    )


def _events_around(
    records: RecordReader, at: datetime, window_s: float, sees: Callable[[str], bool]
) -> list[EventAt]:
    window = timedelta(seconds=window_s)
    page = records.list_events(EventFilter(since=at - window, until=at + window), EVENTS_LIMIT)
    events: list[Event] = [e for e in page.items if sees(e.camera_id)]
    media = records.media_of_events([e.id for e in events])
    out = []
    for event in events:
        found = media.get(event.id, {})
        out.append(
            EventAt(
                id=event.id,
                kind=event.kind.value,
                camera_id=event.camera_id,
                zone_id=event.zone_id,
                class_name=event.class_name,
                occurred_at=event.occurred_at,
                snapshot_url=_snapshot(found.get("snapshot")),
                clip_url=_clip(found.get("clip")),
            )
        )
    return out


def zone_series(
    history: HistoryReader,
    entity_id: str,
    attr: str,
    start: datetime,
    end: datetime,
    step_s: float,
    expand: Callable[[str], str],
) -> SeriesRead:
    """One attribute of a zone from `start` to `end` in steps of `step_s` (mean, max, last)."""
    points = history.series(entity_id, expand(attr), start.timestamp(), end.timestamp(), step_s)
    # Built without validation: every column is already of its type, and validating 43,200
    # points (a month of minutes) would cost more than reading them.
    return SeriesRead.model_construct(
        entity_id=entity_id,
        attr=attr,
        step_s=step_s,
        start=start,
        end=end,
        time=[_stamp(p.start_ts) for p in points],
        mean=[p.mean for p in points],
        max=[p.high for p in points],
        last=[p.last for p in points],
        rows=[p.rows for p in points],
    )
