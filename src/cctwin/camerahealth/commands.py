"""`cctwin cameras audit` and `cctwin eval camera-faults`: the quality audit on the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

if TYPE_CHECKING:
    from cctwin.camerahealth.evaluate import Report
    from cctwin.camerahealth.survey import SurveyRow

cameras_app = typer.Typer(no_args_is_help=True, help="Camera quality audit for planners.")
err = Console(stderr=True)

# Thresholds were chosen on the tuning clip and are reported on the others (docs/camera-health.md).
TUNING_CLIPS = ("people-walking/people-walking.mp4",)
REPORT_CLIPS = ("pets2009-s2l1/video.avi",)
DEMO_CLIP = Path("var/media/vtest.mp4")


class Split(StrEnum):
    """Which clips carry the faults."""

    REPORT = "report"
    TUNING = "tuning"


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


@cameras_app.command("audit")
def audit(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")],
    seconds: Annotated[
        float, typer.Option(min=1.0, max=3600.0, help="Seconds of stream read per camera.")
    ] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    save_reference: Annotated[
        bool,
        typer.Option(
            "--save-reference",
            help="Make each camera's reference view from this run and keep it (after "
            "maintenance); the service uses it from its next start.",
        ),
    ] = False,
) -> None:
    """Open every camera, read S seconds and list resolution and picture faults per camera."""
    from cctwin.camerahealth.survey import References, survey
    from cctwin.config import load_config
    from cctwin.errors import CctwinError
    from cctwin.ingest.factory import open_source

    try:
        config = load_config(config_file)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    cameras = list(config.cameras)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"reading {seconds:g} s per camera", total=len(cameras))
        rows = survey(
            cameras,
            config.camera_health,
            seconds,
            lambda camera, sampling: open_source(camera, sampling),
            References(config.media.path, renew=save_reference),
            done=lambda row: progress.advance(task),
        )
    if as_json:
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False))
        return
    Console().print(_table(rows))


def _table(rows: list[SurveyRow]) -> Table:
    table = Table(title="Camera quality audit")
    for column in ("camera_id", "megapixels", "reasons", "placement", "reference", "measurements"):
        table.add_column(column, overflow="fold")
    for row in rows:
        measures = [
            f"{c.measure} {c.value:g}" + ("" if c.threshold is None else f" / {c.threshold:g}")
            + (" !" if c.raised else "")
            for c in row.health.checks
        ]  # fmt: skip
        if row.error:
            measures.insert(0, f"error: {row.error}")
        reasons = ", ".join(r.value for r in row.reasons) or "ok"
        table.add_row(row.camera_id, f"{row.megapixels:.2f}", reasons, row.placement,
                      row.reference, "\n".join(measures))  # fmt: skip
    return table


def camera_faults(
    data: Annotated[Path, typer.Option(help="The shared data folder.")] = Path("../shared/data"),
    split: Annotated[Split, typer.Option(help="Faults on the report or the tuning clips.")] = (
        Split.REPORT
    ),
    clean_hours: Annotated[
        float, typer.Option(min=0.01, max=100.0, help="Clean run per clip, hours of stream.")
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plots: Annotated[
        Path | None, typer.Option(help="Write a timeline PNG per fault clip into this folder.")
    ] = None,
) -> None:
    """Camera faults injected into real clips: recall, delay, precision, clean false alarms."""
    from cctwin.camerahealth.evaluate import evaluate, load_clip, samples
    from cctwin.config.camerahealth import CameraHealthConfig
    from cctwin.errors import CctwinError

    names = REPORT_CLIPS if split is Split.REPORT else TUNING_CLIPS
    fault_paths = [data / name for name in names]
    clean_paths = [data / name for name in (*TUNING_CLIPS, *REPORT_CLIPS)]
    if DEMO_CLIP.is_file():
        clean_paths.append(DEMO_CLIP)
    missing = [str(p) for p in fault_paths + clean_paths if not p.is_file()]
    if missing:
        raise _fail(f"{missing[0]}: no such clip (give --data, the shared data folder)")
    config = CameraHealthConfig()
    try:
        loaded = {p: load_clip(p) for p in dict.fromkeys(fault_paths + clean_paths)}
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    total = samples(len(fault_paths), len(clean_paths), config, clean_hours)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("auditing", total=total)
        report = evaluate([loaded[p] for p in fault_paths], [loaded[p] for p in clean_paths],
                          config, clean_hours, tick=lambda: progress.advance(task))  # fmt: skip
    if plots is not None:
        from cctwin.camerahealth.plots import write_timeline

        for path in fault_paths:
            err.print(f"wrote {write_timeline(loaded[path], config, plots)}")
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_report(report)


def _print_report(report: Report) -> None:
    out = Console()
    faults = Table(title=f"Faults on {', '.join(report.clips)}")
    for column in ("fault", "reason", "found", "recall", "delay mean s", "delay max s", "missed"):
        faults.add_column(column)
    for f in report.faults:
        faults.add_row(f.fault.value, f.reason.value, f"{f.found}/{f.episodes}", f"{f.recall:.2f}",
                       str(f.delay_mean_s), str(f.delay_max_s), ", ".join(f.missed))  # fmt: skip
    out.print(faults)
    reasons = Table(title="Precision per reason")
    for column in ("reason", "alarms", "right", "precision"):
        reasons.add_column(column)
    for r in report.reasons:
        reasons.add_row(r.reason.value, str(r.alarms), str(r.right), str(r.precision))
    out.print(reasons)
    clean = Table(title="Clean run")
    for column in ("clip", "hours", "alarms", "per camera-hour", "reasons"):
        clean.add_column(column)
    for c in report.clean:
        clean.add_row(c.clip, f"{c.hours:g}", str(c.alarms), f"{c.per_hour:g}",
                      ", ".join(c.reasons))  # fmt: skip
    out.print(clean)
    out.print(f"audit cost: {report.cost_ms_1080p} ms per sampled 1080p frame")
