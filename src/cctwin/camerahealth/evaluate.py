"""Evaluation of the quality audit: real clips with faults injected at known times.

Each clip plays looped at the audit's sampling rate; after the reference window, every
fault (two strengths each) is applied for `FAULT_S` seconds with `GAP_S` clean seconds
between. Scoring is event-level: a fault episode is found when its reason is raised while
it lasts (recall, with the delay from its start); a raised alarm is right when it overlaps
an episode of which its reason is true (precision per reason). A long clean run of every
clip, looped with a changing phase, counts false alarms per camera-hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict

from cctwin.camerahealth.audit import CameraAuditor
from cctwin.camerahealth.faults import ALSO_TRUE, EXPECTED, Fault, FaultKind, Image, apply
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.errors import EvaluationError
from cctwin.messages import HealthCheck, HealthReason

FAULT_S = 20.0
ROUNDS = 3
GAP_S = 25.0
# Frames are kept grey at this width: faults apply to them, the auditor then scales down.
CLIP_WIDTH = 480
START = datetime(2026, 1, 1, tzinfo=UTC)
# Two clear strengths of each fault, and a mild one of some (expected to be missed: they
# show where the thresholds lie).
FAULTS = (
    Fault(kind=FaultKind.BLUR, amount=0.003),
    Fault(kind=FaultKind.BLUR, amount=0.006),
    Fault(kind=FaultKind.BLUR, amount=0.012),
    Fault(kind=FaultKind.GAIN, amount=0.5),
    Fault(kind=FaultKind.GAIN, amount=0.35),
    Fault(kind=FaultKind.GAIN, amount=0.2),
    Fault(kind=FaultKind.FREEZE, amount=1.0),
    Fault(kind=FaultKind.COVER, amount=0.6),
    Fault(kind=FaultKind.COVER, amount=0.9),
    Fault(kind=FaultKind.SPRAY, amount=0.015),
    Fault(kind=FaultKind.SHIFT, amount=0.03),
    Fault(kind=FaultKind.SHIFT, amount=0.06),
    Fault(kind=FaultKind.SHIFT, amount=0.02, angle_deg=4.0),
)
Tick = Callable[[], None]


class Row(BaseModel):
    """A line of the report."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FaultScore(Row):
    """Recall and delay of one fault kind over every clip and strength."""

    fault: FaultKind
    reason: HealthReason
    episodes: int
    found: int
    recall: float
    delay_mean_s: float | None
    delay_max_s: float | None
    missed: list[str]


class ReasonScore(Row):
    """Precision of one reason: raised alarms that match a fault of which it is true."""

    reason: HealthReason
    alarms: int
    right: int
    precision: float | None


class CleanScore(Row):
    """False alarms of one clip on a long clean run."""

    clip: str
    hours: float
    alarms: int
    per_hour: float
    reasons: list[HealthReason]


class Report(Row):
    """The whole evaluation."""

    clips: list[str]
    faults: list[FaultScore]
    reasons: list[ReasonScore]
    clean: list[CleanScore]
    cost_ms_1080p: float
    config: CameraHealthConfig


@dataclass(frozen=True)
class Clip:
    """A clip's frames (grey, CLIP_WIDTH wide) and its frame rate."""

    name: str
    frames: list[Image]
    fps: float

    def at(self, t_s: float, phase: int = 0) -> Image:
        return self.frames[(int(t_s * self.fps) + phase) % len(self.frames)]


@dataclass(frozen=True)
class Episode:
    fault: Fault
    clip: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Sample:
    """Every check of one audited frame (for the timeline plot)."""

    t_s: float
    checks: list[HealthCheck]


@dataclass(frozen=True)
class Alarm:
    reason: HealthReason
    clip: str
    start_s: float
    end_s: float


def load_clip(path: Path) -> Clip:
    """Every frame of a video file as a grey image CLIP_WIDTH wide."""
    import av

    if not path.is_file():
        raise EvaluationError(f"{path}: no such file")
    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        for frame in container.decode(stream):
            grey = frame.to_ndarray(format="gray")
            height = round(grey.shape[0] * CLIP_WIDTH / grey.shape[1])
            small = cv2.resize(grey, (CLIP_WIDTH, height), interpolation=cv2.INTER_AREA)
            frames.append(np.asarray(small, np.uint8))
    if len(frames) < 2:
        raise EvaluationError(f"{path}: fewer than two frames")
    return Clip(path.stem, frames, fps)


def schedule(config: CameraHealthConfig) -> list[tuple[Fault, float, float]]:
    """(fault, start, end) in stream seconds after the reference window."""
    out = []
    t = config.reference_s + GAP_S
    for fault in FAULTS:
        out.append((fault, t, t + FAULT_S))
        t += FAULT_S + GAP_S
    return out


def run_clip(
    clip: Clip, config: CameraHealthConfig, tick: Tick, round_: int = 0
) -> tuple[list[Episode], list[Alarm]]:
    """Play one clip through the schedule (each round starts elsewhere in the clip, so the
    faults fall on other frames); the episodes and the alarms raised."""
    plan = schedule(config)
    name = f"{clip.name}#{round_}"
    episodes = [Episode(f, name, start, end) for f, start, end in plan]
    total = plan[-1][2] + GAP_S
    phase = round_ * len(clip.frames) // ROUNDS
    alarms = _play(replace(clip, name=name), config, total, plan, phase=phase, tick=tick)
    return episodes, alarms


def _play(
    clip: Clip,
    config: CameraHealthConfig,
    total_s: float,
    plan: list[tuple[Fault, float, float]],
    phase: int,
    tick: Tick,
    trace: list[Sample] | None = None,
) -> list[Alarm]:
    auditor = CameraAuditor(config)
    opened: dict[HealthReason, float] = {}
    alarms: list[Alarm] = []
    frozen: Image | None = None
    for t in _times(total_s, config.sample_interval_s):
        image = clip.at(t, phase + int(t // (len(clip.frames) / clip.fps)) * 7)
        active = next(((f, s) for f, s, e in plan if s <= t < e), None)
        if active is None:
            frozen = None
        else:
            frozen = image if frozen is None else frozen
            image = apply(active[0], image, frozen, seed=int(t))
        update = auditor.update(image, t, START + timedelta(seconds=t))
        if trace is not None:
            trace.append(Sample(t, update.health.checks))
        for change in update.changes:
            if change.reason is HealthReason.UNDER_2MP:
                continue
            if change.raised:
                opened[change.reason] = t
            elif change.reason in opened:
                alarms.append(Alarm(change.reason, clip.name, opened.pop(change.reason), t))
        tick()
    alarms.extend(Alarm(r, clip.name, s, total_s) for r, s in opened.items())
    return alarms


def timeline(
    clip: Clip, config: CameraHealthConfig
) -> tuple[list[Sample], list[Alarm], list[Episode]]:
    """The first round of a clip with every sample's checks: what the plot draws."""
    plan = schedule(config)
    trace: list[Sample] = []
    alarms = _play(clip, config, plan[-1][2] + GAP_S, plan, 0, lambda: None, trace)
    return trace, alarms, [Episode(f, clip.name, start, end) for f, start, end in plan]


def _times(total_s: float, step_s: float) -> Iterator[float]:
    for i in range(int(total_s / step_s)):
        yield round(i * step_s, 6)


def clean_run(clip: Clip, config: CameraHealthConfig, hours: float, tick: Tick) -> CleanScore:
    """The clip looped for `hours` of stream, each loop a few frames further on."""
    alarms = _play(clip, config, hours * 3600, [], phase=0, tick=tick)
    return CleanScore(
        clip=clip.name,
        hours=hours,
        alarms=len(alarms),
        per_hour=round(len(alarms) / hours, 3),
        reasons=sorted({a.reason for a in alarms}),
    )


def score(
    episodes: list[Episode], alarms: list[Alarm], config: CameraHealthConfig
) -> tuple[list[FaultScore], list[ReasonScore]]:
    """Recall per fault kind, precision per reason."""
    grace = config.clear_after_s + config.sample_interval_s
    faults = []
    for kind in FaultKind:
        mine = [e for e in episodes if e.fault.kind is kind]
        reason = EXPECTED[kind]
        delays, missed = [], []
        for episode in mine:
            raised = [a.start_s for a in alarms if a.clip == episode.clip and a.reason is reason
                      and episode.start_s <= a.start_s < episode.end_s]  # fmt: skip
            if raised:
                delays.append(min(raised) - episode.start_s)
            else:
                missed.append(f"{episode.clip} {episode.fault.label}")
        faults.append(FaultScore(
            fault=kind, reason=reason, episodes=len(mine), found=len(delays),
            recall=round(len(delays) / len(mine), 3) if mine else 0.0,
            delay_mean_s=round(float(np.mean(delays)), 2) if delays else None,
            delay_max_s=round(max(delays), 2) if delays else None, missed=missed,
        ))  # fmt: skip
    reasons = []
    for reason in HealthReason:
        if reason in (HealthReason.OFFLINE, HealthReason.UNDER_2MP):
            continue
        mine_alarms = [a for a in alarms if a.reason is reason]
        right = sum(1 for a in mine_alarms if _explained(a, episodes, grace))
        precision = round(right / len(mine_alarms), 3) if mine_alarms else None
        reasons.append(ReasonScore(reason=reason, alarms=len(mine_alarms), right=right,
                                   precision=precision))  # fmt: skip
    return faults, reasons


def _explained(alarm: Alarm, episodes: list[Episode], grace_s: float) -> bool:
    for episode in episodes:
        true_of_it = {EXPECTED[episode.fault.kind]} | ALSO_TRUE.get(episode.fault.kind, frozenset())
        overlaps = alarm.start_s < episode.end_s + grace_s and alarm.end_s > episode.start_s
        if episode.clip == alarm.clip and alarm.reason in true_of_it and overlaps:
            return True
    return False


def cost_ms_1080p(config: CameraHealthConfig, clip: Clip, repeats: int = 30) -> float:
    """Median milliseconds to audit one 1080p BGR frame (grey, resize, every measure): the
    clip's frames scaled up to 1920 x 1080."""
    auditor = CameraAuditor(config)
    times = []
    for i in range(repeats):
        grey = clip.at(float(i))
        frame = np.asarray(
            cv2.cvtColor(cv2.resize(grey, (1920, 1080)), cv2.COLOR_GRAY2BGR), np.uint8
        )
        started = time.perf_counter()
        auditor.update(frame, float(i), START)
        times.append((time.perf_counter() - started) * 1000)
    return round(float(np.median(times)), 2)


def evaluate(
    fault_clips: list[Clip],
    clean_clips: list[Clip],
    config: CameraHealthConfig,
    clean_hours: float,
    tick: Tick = lambda: None,
) -> Report:
    """Faults on `fault_clips`, the long clean run on `clean_clips`."""
    episodes: list[Episode] = []
    alarms: list[Alarm] = []
    for clip in fault_clips:
        for round_ in range(ROUNDS):
            found, raised = run_clip(clip, config, tick, round_)
            episodes += found
            alarms += raised
    faults, reasons = score(episodes, alarms, config)
    clean = [clean_run(clip, config, clean_hours, tick) for clip in clean_clips]
    return Report(clips=[c.name for c in fault_clips], faults=faults, reasons=reasons,
                  clean=clean, cost_ms_1080p=cost_ms_1080p(config, fault_clips[0]), config=config)  # fmt: skip


def samples(
    n_fault_clips: int, n_clean_clips: int, config: CameraHealthConfig, clean_hours: float
) -> int:
    """How many frames `evaluate` audits (for a progress bar)."""
    plan = schedule(config)
    per_clip = int((plan[-1][2] + GAP_S) / config.sample_interval_s)
    return ROUNDS * n_fault_clips * per_clip + n_clean_clips * int(
        clean_hours * 3600 / config.sample_interval_s
    )
