"""Read event-scoring inputs: INTERVALS.json ground truth and events.jsonl alarm records."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cctwin.errors import EvaluationError
from cctwin.evaluate.events import KISA_ALIASES, Alarm, AnnotatedInterval, Axis, GroundTruth

_TIMECODE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


class _IntervalSpec(BaseModel):
    """One interval as written in INTERVALS.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1)
    camera_id: str | None = None
    id: str | None = None
    start: float | str | None = None
    end: float | str | None = None
    start_frame: int | None = Field(default=None, ge=1)
    end_frame: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_axis(self) -> _IntervalSpec:
        times = (self.start is not None, self.end is not None)
        frames = (self.start_frame is not None, self.end_frame is not None)
        if any(times) and any(frames):
            raise ValueError("give start/end or start_frame/end_frame, not both")
        if not (all(times) or all(frames)):
            raise ValueError("needs start and end, or start_frame and end_frame")
        return self


class _GroundTruthSpec(BaseModel):
    """The whole INTERVALS.json file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intervals: list[_IntervalSpec]
    kinds: list[str] | None = None
    tolerance_s: float = Field(default=0.0, ge=0.0)
    fps: float | None = Field(default=None, gt=0.0)
    origin: str | None = None


def _moment(value: float | str, where: str) -> tuple[Axis, float]:
    """Clip seconds (a number, HH:MM:SS or MM:SS) or an ISO-8601 time as POSIX seconds."""
    if not isinstance(value, str):
        return Axis.CLIP, float(value)
    text = value.strip()
    code = _TIMECODE.match(text)
    if code:
        hours, minutes, seconds = code.groups()
        return Axis.CLIP, int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        return Axis.CLIP, float(text)
    except ValueError:
        return Axis.TIME, _timestamp(text, where).timestamp()


def _timestamp(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EvaluationError(f"{where}: {text!r} is not ISO-8601, seconds or HH:MM:SS") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_ground_truth(path: Path) -> GroundTruth:
    """Parse INTERVALS.json; a bad file raises EvaluationError naming the file and place."""
    data = _load_json(path)
    try:
        spec = _GroundTruthSpec.model_validate(
            {"intervals": data} if isinstance(data, list) else data
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "top level"
        raise EvaluationError(f"{path}: {place}: {first['msg']}") from None
    intervals = []
    for number, item in enumerate(spec.intervals):
        where = f"{path}: intervals.{number}"
        if item.start_frame is not None and item.end_frame is not None:
            axis, start, end = Axis.FRAME, float(item.start_frame), float(item.end_frame)
        elif item.start is not None and item.end is not None:
            axis, start = _moment(item.start, f"{where}.start")
            end_axis, end = _moment(item.end, f"{where}.end")
            if end_axis is not axis:
                raise EvaluationError(f"{where}: start and end must both be times or seconds")
        else:  # the spec's validator already refuses this; kept for the type checker
            raise EvaluationError(f"{where}: needs start and end")
        if end < start:
            raise EvaluationError(f"{where}: end is before start")
        kind = KISA_ALIASES.get(item.kind, item.kind)
        interval_id = item.id or f"{kind}#{number + 1}"
        intervals.append(AnnotatedInterval(interval_id, kind, item.camera_id, start, end, axis))
    kinds = [*(spec.kinds or []), *(i.kind for i in intervals)]
    origin = _timestamp(spec.origin, f"{path}: origin") if spec.origin else None
    return GroundTruth(
        intervals=tuple(intervals),
        kinds=frozenset(KISA_ALIASES.get(k, k) for k in kinds),
        tolerance_s=spec.tolerance_s,
        fps=spec.fps,
        origin=origin,
    )


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path}: cannot read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None


def read_alarms(path: Path) -> list[Alarm]:
    """Event records of one events.jsonl file; a bad line raises EvaluationError (file:line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path}: cannot read ({exc})") from None
    alarms = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise EvaluationError(f"{where}: expected a JSON object")
        for key, kind in (
            ("kind", str),
            ("camera_id", str),
            ("occurred_at", str),
            ("frame_index", int),
        ):
            if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
                raise EvaluationError(f"{where}: needs {key!r} ({kind.__name__})")
        alarms.append(
            Alarm(
                id=str(record.get("id") or f"{path.name}:{number}"),
                kind=record["kind"],
                camera_id=record["camera_id"],
                occurred_at=_timestamp(record["occurred_at"], f"{where}: occurred_at"),
                frame=record["frame_index"],
            )
        )
    return alarms
