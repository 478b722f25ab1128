"""`cctwin eval events` output: the score table, and plots of the timeline, delays and F1."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cctwin.evaluate.events import KISA_F1, Alarm, Axis, EventScores, GroundTruth, score_events
from cctwin.evaluate.events_files import read_alarms, read_ground_truth


def events_eval_command(
    gt: Path,
    events: list[Path],
    as_json: bool,
    plots: Path | None,
    tolerance_s: float | None,
) -> int:
    """`cctwin eval events`: print the scores (JSON or a table); bad files raise EvaluationError."""
    truth = read_ground_truth(gt)
    alarms = [alarm for path in events for alarm in read_alarms(path)]
    scores = score_events(truth, alarms, tolerance_s)
    if plots is not None:
        plot_event_scores(scores, truth, alarms, plots)
    if as_json:
        sys.stdout.write(json.dumps(scores.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    _print_table(scores)
    return 0


def _print_table(scores: EventScores) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    title = f"events (tolerance {scores.tolerance_s:g} s)"
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True)
    table.add_column("kind", no_wrap=True)
    for name in ("events", "alarms", "tp", "fp", "fn", "dup", "P", "R", "F1", "delay s"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in (*scores.per_kind, scores.total):
        delay = "-" if row.mean_delay_s is None else f"{row.mean_delay_s:.2f}"
        table.add_row(
            row.kind,
            *(str(v) for v in (row.n_intervals, row.n_alarms, row.tp, row.fp, row.fn)),
            str(row.duplicates),
            *(f"{v:.3f}" for v in (row.precision, row.recall, row.f1)),
            delay,
        )
    console = Console()
    console.print(table)
    verdict = "meets" if scores.total.f1 >= KISA_F1 else "below"
    console.print(f"event-level F1 {scores.total.f1:.3f} {verdict} the KISA {KISA_F1:.2f}")
    if scores.ignored_alarms:
        console.print(f"ignored {scores.ignored_alarms} event(s) of kinds not annotated")


_AXIS_LABEL = {
    Axis.TIME: "seconds since the first annotated start",
    Axis.CLIP: "clip seconds",
    Axis.FRAME: "frame",
}


def plot_event_scores(
    scores: EventScores, truth: GroundTruth, alarms: list[Alarm], out: Path
) -> list[Path]:
    """Write timeline.png, scores.png and (when anything was detected) delays.png into `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = [_timeline(plt, scores, truth, alarms, out / "timeline.png")]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.4 * len(scores.per_kind) + 2), 3.5))
    names = [k.kind for k in scores.per_kind] + ["all"]
    rows = [*scores.per_kind, scores.total]
    for offset, (label, values) in enumerate(
        (
            ("precision", [r.precision for r in rows]),
            ("recall", [r.recall for r in rows]),
            ("F1", [r.f1 for r in rows]),
        )
    ):
        ax.bar([i + (offset - 1) * 0.27 for i in range(len(rows))], values, 0.27, label=label)
    ax.axhline(KISA_F1, color="k", linestyle="--", linewidth=1, label=f"KISA F1 {KISA_F1:.2f}")
    ax.set_xticks(range(len(rows)), names, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "scores.png", dpi=100)
    plt.close(fig)
    written.append(out / "scores.png")
    delays = [r.delay_s for r in scores.intervals if r.delay_s is not None]
    if delays:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(delays, bins=min(30, max(5, len(delays) // 2)))
        ax.set_xlabel("detection delay, s (alarm - interval start)")
        ax.set_ylabel("intervals")
        fig.tight_layout()
        fig.savefig(out / "delays.png", dpi=100)
        plt.close(fig)
        written.append(out / "delays.png")
    return written


def _timeline(
    plt: Any, scores: EventScores, truth: GroundTruth, alarms: list[Alarm], path: Path
) -> Path:
    axes_present = sorted({r.interval.axis for r in scores.intervals}, key=list(Axis).index)
    if not axes_present:
        axes_present = [Axis.CLIP]
    matched = {r.alarm.id for r in scores.intervals if r.alarm is not None}
    false_ids = {a.id for a in scores.false_alarms}
    rows_per_axis = {
        axis: sorted(
            {
                (r.interval.kind, r.interval.camera_id or "*")
                for r in scores.intervals
                if r.interval.axis is axis
            }
        )
        or sorted((kind, "*") for kind in truth.kinds)
        for axis in axes_present
    }
    height = sum(max(1, len(rows)) for rows in rows_per_axis.values())
    fig, axes = plt.subplots(len(axes_present), 1, figsize=(10, 1.2 + 0.45 * height), squeeze=False)
    for ax, axis in zip(axes[:, 0], axes_present, strict=True):
        times = [r.interval.start for r in scores.intervals if r.interval.axis is axis]
        zero = min(times) if axis is Axis.TIME and times else 0.0
        rows = rows_per_axis[axis]
        for y, (kind, camera) in enumerate(rows):
            for result in scores.intervals:
                interval = result.interval
                if interval.axis is not axis or (interval.kind, interval.camera_id or "*") != (
                    kind,
                    camera,
                ):
                    continue
                colour = "tab:green" if result.alarm is not None else "tab:orange"
                ax.broken_barh(
                    [(interval.start - zero, max(interval.end - interval.start, 1e-3))],
                    (y - 0.3, 0.6),
                    color=colour,
                    alpha=0.5,
                )
            for alarm in alarms:
                if alarm.kind != kind or (camera != "*" and alarm.camera_id != camera):
                    continue
                marker, colour = (
                    ("v", "tab:blue")
                    if alarm.id in matched
                    else ("x", "tab:red")
                    if alarm.id in false_ids
                    else ("|", "grey")
                )
                ax.plot(truth.position(alarm, axis) - zero, y, marker, color=colour, markersize=9)
        ax.set_yticks(range(len(rows)), [f"{k} @ {c}" for k, c in rows])
        ax.set_xlabel(_AXIS_LABEL[axis])
    axes[0, 0].set_title(
        "green: detected, orange: missed; v: matched alarm, x: false alarm, |: duplicate"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
