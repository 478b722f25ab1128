"""`cctwin twin flood`: run one flood scenario file on the config's district (until `simulate`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_CONFIG = Path("config/demo.yaml")


def flood(
    scenario_file: Annotated[Path, typer.Option("--scenario", help="Scenario YAML (kind: flood).")],
    config_file: Annotated[
        Path, typer.Option("--config", help="YAML config: the site whose streets drain.")
    ] = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Write the full result (nodes, depth series) as JSON.")
    ] = None,
) -> None:
    """Run a flood what-if with SWMM: flooded nodes, depths, the cameras that watch them."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    from cctwin.config import load_config
    from cctwin.errors import CctwinError
    from cctwin.scenarios.flood import load_flood_scenario, run_flood

    err = Console(stderr=True)
    try:
        scenario = load_flood_scenario(scenario_file)
        config = load_config(config_file)
        with Progress(
            "{task.description}", BarColumn(), TimeElapsedColumn(), console=err, transient=True
        ) as bar:
            task = bar.add_task(scenario.name, total=1.0)
            result = run_flood(scenario, config, lambda f: bar.update(task, completed=f))
    except (CctwinError, ValueError) as exc:
        for line in str(exc).splitlines():
            err.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True, markup=True)
        raise typer.Exit(2) from None
    if out is not None:
        out.write_text(result.model_dump_json(), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result.summary(), ensure_ascii=False))
        return
    typer.echo(
        f"{scenario.name}: {result.flooded_nodes} of {result.nodes} nodes flooded "
        f"(>= {scenario.flood_threshold_m:g} m), deepest {result.max_depth_m:.2f} m; "
        f"rain {result.rain.total_mm:g} mm, peak {result.rain.peak_mm_h:g} mm/h; "
        f"{result.simulated_s / 3600:g} h simulated in {result.wall_s:.2f} s"
    )
    for camera in result.camera_nodes:
        typer.echo(
            f"  camera {camera.camera_id}: {', '.join(camera.nodes)} "
            f"(up to {camera.max_depth_m:.2f} m at {camera.time_of_max_s / 3600:.1f} h)"
        )
