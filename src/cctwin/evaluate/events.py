"""KISA-style event scoring: alarms from events.jsonl matched to annotated event intervals.

Ground truth (INTERVALS.json)::

    {
      "intervals": [
        {"kind": "loitering", "camera_id": "cam-1", "start": "2024-05-01T09:00:10Z",
         "end": "2024-05-01T09:00:40Z", "id": "L1"},
        {"kind": "intrusion", "start": 75.0, "end": "00:01:30.5"},
        {"kind": "fallenPerson", "start_frame": 1201, "end_frame": 1500}
      ],
      "kinds": ["loitering", "intrusion", "fallenPerson"],
      "tolerance_s": 1.0,
      "fps": 30,
      "origin": "2024-05-01T09:00:00Z"
    }

A bare list of intervals is accepted too. Per interval: `kind` (a cctwin event kind; the KISA
names collapse / fall / arson map to fallenPerson / fallenPerson / buildingFire), `camera_id`
(optional: when left out any camera matches), `id` (optional) and either
`start`/`end` or `start_frame`/`end_frame` (1-based, inclusive, compared with the event's
`frame`). `start`/`end` are ISO-8601 timestamps (compared with `occurred_at`; no zone = UTC),
or clip seconds as a number or HH:MM:SS(.f) / MM:SS. An alarm's clip second is
`occurred_at - origin` when `origin` is given, else `(frame - 1) / fps` when `fps` is given,
else `occurred_at - 1970-01-01T00:00:00Z`, which is what `cctwin analyze` stamps on a file
without a creation time. `kinds` lists the kinds that were annotated (default: the kinds of
the intervals): alarms of other kinds are ignored, alarms of a listed kind with no interval
are false positives. `tolerance_s` widens every interval on both sides (frame intervals need
`fps` for it). Several clips: pass each events.jsonl (`--events A --events B`) and give
every interval its clip's camera_id, since frame numbers and clip seconds restart per clip.

Scoring counts events, not frames: an interval is a true positive when at least one alarm of
its kind (and camera) falls inside it; each alarm detects at most one interval (intervals in
order of their end take their earliest free alarm, which maximises matches); further alarms
inside an interval are duplicates, counted neither way; any other alarm is a false positive.
Detection delay is the matched alarm's time minus the interval start.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cctwin.errors import EvaluationError

KISA_F1 = 0.90
# KISA certification names for categories that cctwin reports under its own kind.
KISA_ALIASES = {"collapse": "fallenPerson", "fall": "fallenPerson", "arson": "buildingFire"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Axis(StrEnum):
    """What an interval's numbers mean."""

    TIME = "time"  # POSIX seconds of ISO-8601 timestamps
    CLIP = "clip"  # seconds from the start of the clip
    FRAME = "frame"  # 1-based frame numbers


@dataclass(frozen=True, slots=True)
class AnnotatedInterval:
    """One annotated event: `kind` happened on a camera from `start` to `end` on `axis`."""

    id: str
    kind: str
    camera_id: str | None
    start: float
    end: float
    axis: Axis


@dataclass(frozen=True, slots=True)
class Alarm:
    """One event record read from an events.jsonl file."""

    id: str
    kind: str
    camera_id: str
    occurred_at: datetime
    frame: int


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """The annotated intervals and how to put alarms on their axes."""

    intervals: tuple[AnnotatedInterval, ...]
    kinds: frozenset[str]
    tolerance_s: float = 0.0
    fps: float | None = None
    origin: datetime | None = None

    def position(self, alarm: Alarm, axis: Axis) -> float:
        """Where an alarm lies on an interval's axis."""
        if axis is Axis.FRAME:
            return float(alarm.frame)
        if axis is Axis.TIME:
            return alarm.occurred_at.timestamp()
        if self.origin is None and self.fps is not None:
            return (alarm.frame - 1) / self.fps
        return (alarm.occurred_at - (self.origin or EPOCH)).total_seconds()

    def tolerance(self, axis: Axis) -> float:
        if axis is not Axis.FRAME or self.tolerance_s == 0:
            return self.tolerance_s
        if self.fps is None:
            raise EvaluationError("tolerance_s on start_frame/end_frame intervals needs 'fps'")
        return self.tolerance_s * self.fps

    def seconds(self, span: float, axis: Axis) -> float | None:
        """A length on `axis` in seconds (None for frames when the frame rate is unknown)."""
        if axis is not Axis.FRAME:
            return span
        return span / self.fps if self.fps else None


@dataclass(frozen=True, slots=True)
class IntervalResult:
    """Whether an interval was detected, by which alarm and how late."""

    interval: AnnotatedInterval
    alarm: Alarm | None
    delay_s: float | None
    delay_frames: int | None


@dataclass(frozen=True, slots=True)
class KindScore:
    """Event counts of one kind (or of all kinds, `kind="all"`)."""

    kind: str
    tp: int
    fp: int
    fn: int
    duplicates: int
    n_intervals: int
    n_alarms: int
    mean_delay_s: float | None

    @property
    def precision(self) -> float:
        # No alarm raised means no false alarm: precision 1, and recall says the rest.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "duplicates": self.duplicates,
            "n_intervals": self.n_intervals,
            "n_alarms": self.n_alarms,
            "mean_delay_s": self.mean_delay_s,
        }


@dataclass(frozen=True, slots=True)
class EventScores:
    """The outcome of `score_events`."""

    total: KindScore
    per_kind: tuple[KindScore, ...]
    intervals: tuple[IntervalResult, ...]
    false_alarms: tuple[Alarm, ...]
    ignored_alarms: int
    tolerance_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.total.as_dict(),
            "ignored_alarms": self.ignored_alarms,
            "tolerance_s": self.tolerance_s,
            "kisa_f1_threshold": KISA_F1,
            "meets_kisa_f1": self.total.f1 >= KISA_F1,
            "per_kind": {k.kind: k.as_dict() for k in self.per_kind},
            "intervals": [
                {
                    "id": r.interval.id,
                    "kind": r.interval.kind,
                    "camera_id": r.interval.camera_id,
                    "detected": r.alarm is not None,
                    "alarm_id": r.alarm.id if r.alarm else None,
                    "delay_s": r.delay_s,
                    "delay_frames": r.delay_frames,
                }
                for r in self.intervals
            ],
            "false_alarms": [_alarm_dict(a) for a in self.false_alarms],
        }


def _alarm_dict(alarm: Alarm) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "kind": alarm.kind,
        "camera_id": alarm.camera_id,
        "occurred_at": alarm.occurred_at.isoformat(),
        "frame": alarm.frame,
    }


def score_events(
    truth: GroundTruth, alarms: list[Alarm], tolerance_s: float | None = None
) -> EventScores:
    """Match alarms to intervals (see the module docstring) and count events per kind."""
    if tolerance_s is not None:
        truth = replace(truth, tolerance_s=tolerance_s)
    scored = [a for a in alarms if a.kind in truth.kinds]
    used: set[int] = set()
    results: dict[int, IntervalResult] = {}
    order = sorted(
        range(len(truth.intervals)),
        key=lambda i: (truth.intervals[i].end, truth.intervals[i].start),
    )
    for index in order:
        interval = truth.intervals[index]
        found = [
            (truth.position(a, interval.axis), n)
            for n, a in enumerate(scored)
            if n not in used and _inside(truth, interval, a)
        ]
        if not found:
            results[index] = IntervalResult(interval, None, None, None)
            continue
        where, n = min(found)
        used.add(n)
        frames = round(where - interval.start) if interval.axis is Axis.FRAME else None
        delay = truth.seconds(where - interval.start, interval.axis)
        results[index] = IntervalResult(interval, scored[n], delay, frames)
    matched = tuple(results[i] for i in range(len(truth.intervals)))
    duplicate = {
        n
        for n, a in enumerate(scored)
        if n not in used and any(_inside(truth, i, a) for i in truth.intervals)
    }
    false_alarms = tuple(a for n, a in enumerate(scored) if n not in used and n not in duplicate)
    dupes = [scored[n] for n in duplicate]
    per_kind = tuple(
        _count(kind, matched, scored, false_alarms, dupes) for kind in sorted(truth.kinds)
    )
    return EventScores(
        total=_count("all", matched, scored, false_alarms, dupes),
        per_kind=per_kind,
        intervals=matched,
        false_alarms=false_alarms,
        ignored_alarms=len(alarms) - len(scored),
        tolerance_s=truth.tolerance_s,
    )


def _inside(truth: GroundTruth, interval: AnnotatedInterval, alarm: Alarm) -> bool:
    if alarm.kind != interval.kind:
        return False
    if interval.camera_id is not None and alarm.camera_id != interval.camera_id:
        return False
    where = truth.position(alarm, interval.axis)
    slack = truth.tolerance(interval.axis)
    return interval.start - slack <= where <= interval.end + slack


def _count(
    kind: str,
    results: tuple[IntervalResult, ...],
    alarms: list[Alarm],
    false_alarms: tuple[Alarm, ...],
    duplicates: list[Alarm],
) -> KindScore:
    def mine(k: str) -> bool:
        return kind == "all" or k == kind

    rows = [r for r in results if mine(r.interval.kind)]
    delays = [r.delay_s for r in rows if r.delay_s is not None]
    return KindScore(
        kind=kind,
        tp=sum(r.alarm is not None for r in rows),
        fp=sum(mine(a.kind) for a in false_alarms),
        fn=sum(r.alarm is None for r in rows),
        duplicates=sum(mine(a.kind) for a in duplicates),
        n_intervals=len(rows),
        n_alarms=sum(mine(a.kind) for a in alarms),
        mean_delay_s=statistics.fmean(delays) if delays else None,
    )
