"""`cctwin twin simulate` and `cctwin twin scenarios`: run a what-if file, list stored runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_CONFIG = Path("config/demo.yaml")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def simulate(
    scenario_file: Annotated[
        Path, typer.Option("--scenario", help="Scenario YAML (kind: crowd|flood).")
    ],
    config_file: Annotated[
        Path, typer.Option("--config", help="YAML config (site model, store, media).")
    ] = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a what-if scenario, store it with its inputs and versions, print the summary."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cctwin.config import load_config
    from cctwin.errors import CctwinError
    from cctwin.scenarios.models import load_scenario
    from cctwin.scenarios.runs import execute
    from cctwin.store.sql import SqlStore

    try:
        config = load_config(config_file)
        scenario = load_scenario(scenario_file)
        text = scenario_file.read_text(encoding="utf-8")
    except (CctwinError, OSError) as exc:
        raise _fail(str(exc)) from None
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with (
        SqlStore.open(config.store) as store,
        Progress(*columns, console=Console(stderr=True), transient=True) as bar,
    ):
        task = bar.add_task(f"{scenario.kind} {scenario.name}", total=1.0)
        try:
            outcome = execute(
                scenario,
                (str(scenario_file), text),
                config,
                store,
                progress=lambda done: bar.update(task, completed=done),
            )
        except (CctwinError, ValueError, NotImplementedError) as exc:
            bar.stop()
            raise _fail(str(exc)) from None
    summary = {**outcome.summary, "run_id": outcome.run.id}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    for key, value in summary.items():
        typer.echo(f"{key:18s} {value}")


def scenarios(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")] = DEFAULT_CONFIG,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the stored what-if runs, newest first."""
    from cctwin.config import load_config
    from cctwin.errors import CctwinError
    from cctwin.store.sql import SqlStore

    try:
        config = load_config(config_file)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    with SqlStore.open(config.store) as store:
        runs = store.scenario_runs(limit)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in runs], ensure_ascii=False))
        return
    for run in runs:
        peak = run.summary.get("max_density", run.summary.get("flooded_nodes", "-"))
        typer.echo(
            f"{run.id}  {run.created_at:%Y-%m-%d %H:%M}  {run.kind:6s} {run.status.value:8s}"
            f"  {run.name}  wall {run.summary.get('wall_s', '-')} s  peak {peak}"
        )
