"""`cctwin twin coverage` and `cctwin twin plan`: coverage, blind spots and new cameras."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from cctwin.config import Config
    from cctwin.planning.plan import PlanReport, Progress


def _config(config_file: Path) -> Config:
    from cctwin.config import load_config

    try:
        return load_config(config_file)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def coverage_command(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="Write the blind spots (GeoJSON) here.")
    ] = None,
) -> None:
    """Covered share of roads, parks and trails (weighted) and the blind spots, largest first."""
    from cctwin.planning.coverage import measure

    config = _config(config_file)
    try:
        report = measure(config).report
    except ValueError as exc:
        raise _fail(exc) from None
    if geojson is not None:
        geojson.write_text(json.dumps(report.blind_spots, ensure_ascii=False), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return
    typer.echo(f"weighted coverage {report.covered_fraction:.1%}")
    for name, row in report.by_class.items():
        typer.echo(
            f"  {name:7s} {row.fraction:6.1%} of {row.area_m2:10.0f} m2 (weight {row.weight:g})"
        )
    spots = report.blind_spots["features"]
    typer.echo(f"{len(spots)} blind spots; largest:")
    for spot in spots[:5]:
        props = spot["properties"]
        typer.echo(f"  {spot['id']}: {props['class']} {props['area_m2']:.0f} m2")
    for cam in report.cameras:
        typer.echo(
            f"camera {cam.camera_id}: {cam.status}, sees {cam.weighted_m2:.0f} weighted m2 "
            f"({cam.unique_weighted_m2:.0f} no other camera sees)"
        )


def plan_command(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")],
    add: Annotated[int, typer.Option("--add", min=1, help="How many new cameras (K).")],
    candidates: Annotated[
        str, typer.Option("--candidates", help="auto, osm (lamps and poles) or roads.")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=1, help="MILP time limit, seconds.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a before/after map (PNG) here.")
    ] = None,
    events: Annotated[
        bool, typer.Option("--events", help="Rank upgrades by the store's events too.")
    ] = False,
) -> None:
    """Choose K new cameras (MILP with HiGHS, beside greedy); before and after coverage."""
    from cctwin.planning.placement import PlacementError
    from cctwin.planning.plan import plan_cameras

    if candidates not in ("auto", "osm", "roads"):
        raise _fail(ValueError(f"--candidates is auto, osm or roads, not {candidates!r}"))
    source: Literal["auto", "osm", "roads"] = candidates  # type: ignore[assignment]
    config = _config(config_file)
    try:
        counts = _event_counts(config) if events else None
        with _progress_bar() as progress:
            report = plan_cameras(config, add, source, time_limit, None, counts, progress)
    except (PlacementError, ValueError, OSError) as exc:
        raise _fail(exc) from None
    if plot is not None:
        from cctwin.planning.plot import plot_plan

        plot_plan(config, report, plot)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return
    _print_plan(report)


def _print_plan(report: PlanReport) -> None:
    gap = "n/a" if report.optimality_gap is None else f"{report.optimality_gap:.2%}"
    typer.echo(f"weighted coverage {report.before:.1%} -> {report.after:.1%} (gap {gap})")
    typer.echo(
        f"MILP {report.solver.value_m2:.0f} m2 ({report.solver.status}, {report.solver.wall_s} s), "
        f"greedy {report.greedy.value_m2:.0f} m2 ({report.greedy.wall_s} s), "
        f"bound {report.solver.bound_m2} m2; chosen by {report.chosen_by}"
    )
    for cam in report.cameras:
        typer.echo(
            f"  {cam.lon:.6f},{cam.lat:.6f} heading {cam.heading_deg:.0f} fov {cam.fov_deg:.0f} "
            f"({cam.mount} {cam.position_id})"
        )
    for name in report.not_placed:
        typer.echo(f"camera {name}: not placed")
    for up in report.upgrades:
        typer.echo(f"upgrade {up.camera_id}: {up.megapixels} MP, score {up.score}")


def _event_counts(config: Config) -> dict[str, int]:
    """Events stored per camera, through the store API (opened, read, closed)."""
    from cctwin.store.rows import EventFilter
    from cctwin.store.sql import SqlStore

    store = SqlStore.open(config.store)
    try:
        return {c.id: store.count_events(EventFilter(camera_ids=(c.id,))) for c in config.cameras}
    finally:
        store.close()


@contextmanager
def _progress_bar() -> Iterator[Progress]:
    """A rich progress bar on stderr, one task per stage of the plan."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, object] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        yield advance
