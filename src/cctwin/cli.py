"""The `cctwin` command line: analyse, evaluate, benchmark and check configs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cctwin.camerahealth.commands import camera_faults, cameras_app
from cctwin.errors import CctwinError
from cctwin.forecast.commands import forecast_app
from cctwin.privacy.commands import retention_app
from cctwin.security import commands
from cctwin.twin.commands import twin_app

if TYPE_CHECKING:
    from cctwin.config import CameraConfig, Config, SamplingConfig
    from cctwin.evaluate.mot import MotRows

app = typer.Typer(no_args_is_help=True, add_completion=False, help="cctwin: CCTV control centre.")
eval_app = typer.Typer(no_args_is_help=True, help="Score outputs against ground truth.")
bench_app = typer.Typer(no_args_is_help=True, help="Measure throughput and latency.")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(twin_app, name="twin")
app.add_typer(retention_app, name="retention")
app.add_typer(commands.users_app, name="users")
app.add_typer(commands.keys_app, name="keys")
app.add_typer(commands.audit_app, name="audit")
app.add_typer(cameras_app, name="cameras")
eval_app.command("camera-faults")(camera_faults)
app.add_typer(forecast_app, name="forecast")
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _frame_range(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    first, sep, last = text.partition(":")
    try:
        return (
            (int(first) if first else None, int(last) if last else None)
            if sep
            else (
                int(first),
                int(first),
            )
        )
    except ValueError:
        raise _fail(f"--frames {text!r}: expected A:B with 1-based frame numbers") from None


@app.command("check-config")
def check_config(file: Annotated[Path, typer.Argument(help="YAML config to validate.")]) -> None:
    """Validate a config file without starting anything."""
    from cctwin.config import load_config

    try:
        config = load_config(file)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    zones = sum(len(c.analytics.zones) for c in config.cameras)
    typer.echo(f"{file}: ok ({len(config.cameras)} cameras, {zones} zones, {config.detector.type})")


@app.command()
def analyze(
    source: Annotated[str, typer.Argument(help="Video file or rtsp:// URL.")],
    config_file: Annotated[Path | None, typer.Option("--config", help="YAML config.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    every: Annotated[int | None, typer.Option(help="Analyse every n-th frame.")] = None,
    fps: Annotated[float | None, typer.Option(help="Analyse at most F frames per second.")] = None,
    keyframes: Annotated[bool, typer.Option(help="Decode and analyse keyframes only.")] = False,
    camera: Annotated[str | None, typer.Option(help="Camera id whose rules apply.")] = None,
) -> None:
    """Detect, track and analyse one source; write tracks.txt, events.jsonl, summary.json."""
    from cctwin.analyze import camera_for
    from cctwin.config import Config, SamplingConfig, SamplingMode, load_config

    if sum(x is not None and x is not False for x in (every, fps, keyframes or None)) > 1:
        raise _fail("choose one of --every, --fps and --keyframes")
    try:
        config = load_config(config_file) if config_file else Config()
        try:
            camera_config = camera_for(config, source, camera)
        except KeyError:
            raise _fail(f"--camera {camera}: no such camera in the config") from None
        sampling = camera_config.sampling
        if every is not None:
            sampling = SamplingConfig(mode=SamplingMode.EVERY, every=every)
        elif fps is not None:
            sampling = SamplingConfig(mode=SamplingMode.FPS, fps=fps)
        elif keyframes:
            sampling = SamplingConfig(mode=SamplingMode.KEYFRAMES)
        summary = _run_analysis(source, out, config, camera_config, sampling)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"{summary['frames_analysed']} of {summary['frames_decoded']} frames analysed at "
        f"{summary['fps']} fps; {summary['tracks']} tracks, "
        f"{sum(summary['events'].values())} events -> {out}"
    )


def _run_analysis(
    source: str, out: Path, config: Config, camera: CameraConfig, sampling: SamplingConfig
) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from cctwin.analyze import analyze_source, probe

    if not sys.stderr.isatty():
        return analyze_source(source, out, config, camera, sampling)
    info = probe(source, camera.source)
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*Progress.get_default_columns()[:1], *columns, console=err) as progress:
        task = progress.add_task(f"analysing {Path(source).name}", total=info.frames)
        return analyze_source(
            source,
            out,
            config,
            camera,
            sampling,
            on_progress=lambda index: progress.update(task, completed=index),
            info=info,
        )


@eval_app.command("tracking")
def eval_tracking(
    gt: Annotated[Path, typer.Option(help="Ground truth, MOTChallenge text.")],
    tracks: Annotated[Path, typer.Option(help="Tracker output, MOTChallenge text.")],
    frames: Annotated[
        str | None, typer.Option(help="Only frames A:B (1-based, inclusive).")
    ] = None,
    iou: Annotated[float, typer.Option(help="IoU for a match.")] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """MOTA, IDF1, precision, recall and ID switches (py-motmetrics)."""
    from cctwin.evaluate.tracking import score_tracking

    truth, result = _read_mot_pair(gt, tracks, frames)
    _require_truth(truth, gt, frames)
    _print_scores(score_tracking(truth, result, iou).as_dict(), as_json, "tracking")


def _require_truth(truth: MotRows, gt: Path, frames: str | None) -> None:
    """Exit 2 with one line when there is nothing to score against (empty file or range)."""
    if not len(truth.frame):
        raise _fail(f"{gt}: no ground-truth rows" + (f" in frames {frames}" if frames else ""))


@eval_app.command("detection")
def eval_detection(
    gt: Annotated[Path, typer.Option(help="Ground truth, MOTChallenge text.")],
    detections: Annotated[Path, typer.Option(help="Detections, MOTChallenge text.")],
    frames: Annotated[
        str | None, typer.Option(help="Only frames A:B (1-based, inclusive).")
    ] = None,
    iou: Annotated[float, typer.Option(help="IoU for a match.")] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Box precision, recall and AP at an IoU threshold (default 0.5)."""
    from cctwin.evaluate.detection import score_detections

    truth, found = _read_mot_pair(gt, detections, frames)
    _require_truth(truth, gt, frames)
    _print_scores(score_detections(truth, found, iou).as_dict(), as_json, "detection")


@eval_app.command("counting")
def eval_counting(
    dataset: Annotated[
        Path, typer.Option(help="images/ + ground-truth/ (GT_<stem>.mat or <stem>.json).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder.")] = None,
    density_model: Annotated[
        Path | None,
        typer.Option(
            help="CSRNet ONNX file for the density path (default: the bundled int8 copy; csrnet.onnx is the float32 model)."
        ),
    ] = None,
    include_training: Annotated[
        bool, typer.Option(help="Also score the images the counter was tuned on (apart).")
    ] = False,
) -> None:
    """Crowd counting: MAE, RMSE and relative MAE per image set."""
    from cctwin.evaluate.counting import counting_eval_command

    raise typer.Exit(
        counting_eval_command(dataset, as_json, plots, density_model, include_training)
    )


@eval_app.command("fire")
def eval_fire(
    dataset: Annotated[Path, typer.Option(help="fire_images/ (positives) + normal_images/.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder.")] = None,
    include_training: Annotated[
        bool, typer.Option(help="Also score the photos the bundled model was trained on.")
    ] = False,
) -> None:
    """Fire classification: precision, recall, F1 and false-positive rate."""
    from cctwin.evaluate.fire import fire_eval_command

    raise typer.Exit(fire_eval_command(dataset, as_json, plots, include_training))


@eval_app.command("water")
def eval_water(
    dataset: Annotated[Path, typer.Option(help="images/ + masks/ (same stem, > 127 = water).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder.")] = None,
    include_training: Annotated[
        bool, typer.Option(help="Also score the photos the bundled model was trained on.")
    ] = False,
) -> None:
    """Water segmentation: mean IoU and pixel F1 over every photo the model was not trained on."""
    from cctwin.evaluate.water import water_eval_command

    raise typer.Exit(water_eval_command(dataset, as_json, plots, include_training))


@eval_app.command("masking")
def eval_masking(
    dataset: Annotated[Path, typer.Option(help="images/ + ground-truth/ head points.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plots: Annotated[
        Path | None, typer.Option(help="Write masked images into this folder.")
    ] = None,
    split: Annotated[str, typer.Option(help="all, development or held-out.")] = "all",
    people: Annotated[str, typer.Option(help="multiscale or live person boxes.")] = "multiscale",
) -> None:
    """Privacy masking: head coverage and masked area, per development / held-out half."""
    from cctwin.evaluate.masking import Split, masking_eval_command
    from cctwin.privacy.masker import PeopleSource

    try:
        chosen, source = Split(split), PeopleSource(people)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(masking_eval_command(dataset, as_json, plots, chosen, source))


@eval_app.command("events")
def eval_events(
    gt: Annotated[
        Path,
        typer.Option(help="Annotated intervals, JSON (layout: docs/evaluation.md)."),
    ],
    events: Annotated[
        list[Path], typer.Option(help="events.jsonl from `cctwin analyze`; repeat for clips.")
    ],
    tolerance: Annotated[
        float | None, typer.Option(help="Seconds to widen each interval (overrides the file).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder.")] = None,
) -> None:
    """KISA-style event scoring: precision, recall, F1 and delay per event kind.

    GT is {"intervals": [{"kind": "loitering", "camera_id": "cam-1",
    "start": ..., "end": ...}], "tolerance_s": 1.0, "fps": 30} where start
    and end are ISO-8601 times, clip seconds or "HH:MM:SS"; or use
    "start_frame" / "end_frame". An interval is detected when an alarm of
    its kind (and camera) falls inside it; several alarms in one interval
    count once; alarms outside every interval are false positives.
    """
    from cctwin.evaluate.events_report import events_eval_command

    try:
        code = events_eval_command(gt, events, as_json, plots, tolerance)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(code)


def _read_mot_pair(gt: Path, result: Path, frames: str | None) -> tuple[MotRows, MotRows]:
    """Ground truth and a result, cut to the same frames; a bad file exits 2 with its reason."""
    from cctwin.evaluate.mot import read_mot

    first, last = _frame_range(frames)
    try:
        return read_mot(gt).in_frames(first, last), read_mot(result).in_frames(first, last)
    except CctwinError as exc:
        raise _fail(str(exc)) from None


def _print_scores(scores: dict[str, float | int], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(scores, indent=2))
        return
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in scores.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    Console().print(table)


@bench_app.command("streams")
def bench_streams(
    resolution: Annotated[
        str, typer.Option(help="Main-stream resolution: 1080p or 720p.")
    ] = "1080p",
    target_fps: Annotated[float, typer.Option(help="Analysed frames per second per camera.")] = 1.0,
    mode: Annotated[str, typer.Option(help="keyframes, sampled or substream.")] = "keyframes",
    seconds: Annotated[float, typer.Option(help="Measured seconds per trial.")] = 20.0,
    start: Annotated[int, typer.Option(help="Streams in the first trial.")] = 8,
    max_streams: Annotated[int, typer.Option(help="Never try more than this many.")] = 96,
    workers: Annotated[int, typer.Option(help="Analysis processes; 0 = one per core.")] = 0,
    batch_size: Annotated[int, typer.Option(help="Frames per inference batch.")] = 8,
    footage: Annotated[
        Path | None, typer.Option(help="Video to loop (default: PETS 2009).")
    ] = None,
    motion: Annotated[
        bool, typer.Option(help="Gate detection on motion (sampling.motion).")
    ] = True,
    skip_loop_filter: Annotated[
        bool, typer.Option(help="Decode without deblocking (source.skip_loop_filter).")
    ] = False,
    precision: Annotated[str, typer.Option(help="Bundled NanoDet: float32 or int8.")] = "float32",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Serve looping H.264 cameras from a real RTSP server and find how many are sustained."""
    from cctwin.bench.rtsp_server import RtspServerError
    from cctwin.bench.streams import RESOLUTIONS, Levers, run_streams_benchmark

    if precision not in ("float32", "int8"):
        raise _fail(f"--precision {precision!r}: use float32 or int8")

    if resolution not in RESOLUTIONS:
        raise _fail(f"--resolution {resolution!r}: use 1080p or 720p")
    if mode not in ("keyframes", "sampled", "substream"):
        raise _fail(f"--mode {mode!r}: use keyframes, sampled or substream")
    try:
        result = run_streams_benchmark(
            resolution=resolution,
            target_fps=target_fps,
            mode=mode,  # type: ignore[arg-type]
            seconds=seconds,
            start=start,
            max_streams=max_streams,
            workers=workers,
            batch_size=batch_size,
            footage=footage,
            say=(lambda line: None) if as_json else (lambda line: err.print(line)),
            levers=Levers(motion, skip_loop_filter, precision),  # type: ignore[arg-type]
        )
    except (CctwinError, RtspServerError) as exc:
        raise _fail(str(exc)) from None
    summary = {k: v for k, v in result.as_dict().items() if k != "trials"}
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_scores(summary, False, "bench streams")


@app.command("onvif")
def onvif_streams(
    host: Annotated[str, typer.Argument(help="Camera host name or address.")],
    port: Annotated[int, typer.Option(help="ONVIF device service port.")] = 80,
    username: Annotated[str, typer.Option(help="ONVIF user.")] = "",
    password: Annotated[str, typer.Option(envvar="CCTWIN_ONVIF_PASSWORD", help="Password.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a camera's RTSP streams (main and sub-stream) from its ONVIF media service."""
    from cctwin.ingest.onvif import discover_streams_sync

    try:
        found = discover_streams_sync(host, port, username, password)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    rows = [
        {"profile": s.profile_token, "width": s.width, "height": s.height, "uri": s.uri}
        for s in found.streams
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {"manufacturer": found.manufacturer, "model": found.model, "streams": rows},
                indent=2,
            )
        )
        return
    typer.echo(f"{found.manufacturer} {found.model}")
    for row in rows:
        typer.echo(f"  {row['profile']}: {row['width']}x{row['height']} {row['uri']}")


@app.command()
def up(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")] = Path(
        "config/demo.yaml"
    ),
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    bus: Annotated[
        str | None,
        typer.Option(help="NATS URL (nats://HOST:PORT) overriding the config's bus; or 'local'."),
    ] = None,
) -> None:
    """Run the control centre: API, alerts, live map and the analysis workers."""
    import signal

    import uvicorn

    from cctwin.api.main import create_app
    from cctwin.app import Services
    from cctwin.bus.factory import check_reachable, with_bus_url
    from cctwin.bus.protocol import BusUnavailableError
    from cctwin.config import load_config

    try:
        config = load_config(config_file)
        config = config.model_copy(update={"bus": with_bus_url(config.bus, bus)})
        check_reachable(config.bus)
        services = Services(config)
    except (CctwinError, BusUnavailableError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:  # a malformed --bus URL
        raise _fail(f"--bus: {exc}") from None
    listen_host = host or config.service.host
    listen_port = port or config.service.port

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            # End SSE streams first so open dashboards do not hold the shutdown up.
            if services.loop is not None:
                services.loop.call_soon_threadsafe(services.begin_shutdown)
            super().handle_exit(sig, frame)  # type: ignore[arg-type]

    server = Server(
        uvicorn.Config(
            create_app(services),
            host=listen_host,
            port=listen_port,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    )
    url = f"http://{listen_host}:{listen_port}/"
    err.print(
        f"[bold green]cctwin[/] control centre on {url}  ({len(config.cameras)} cameras, "
        f"{len(config.alerts.rules)} alert rules, bus: {config.bus.type})\n"
        "Open it, log in (the first start prints admin's password once), watch the map fill "
        "with live counts, then click 확인 (acknowledge) on the "
        "first alert in the queue on the right. API docs: " + url + "docs",
        highlight=False,
    )
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server.run()


def main() -> None:
    """Entry point of the `cctwin` script."""
    app()
