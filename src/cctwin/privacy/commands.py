"""`cctwin retention`: purge what is past each camera's retention, and legal holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cctwin.errors import CctwinError

retention_app = typer.Typer(no_args_is_help=True, help="Retention: purge, legal hold.")
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@retention_app.command("purge")
def retention_purge(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")],
    dry_run: Annotated[bool, typer.Option(help="Count what would go; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete events, observations and media past each camera's retention (not legal holds)."""
    from datetime import UTC, datetime

    from cctwin.config import load_config
    from cctwin.store.retention import purge_past_retention
    from cctwin.store.sql import SqlStore

    try:
        config = load_config(config_file)
        with SqlStore.open(config.store) as store:
            summary = purge_past_retention(store, config, datetime.now(UTC), dry_run)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    report = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"{verb} {report['events']} events, {report['observations']} observations, "
        f"{report['media']} media files ({report['media_bytes']} bytes); "
        f"kept on legal hold: {report['held_events']} events, {report['held_media']} media"
    )


@retention_app.command("hold")
def retention_hold(
    alert_id: Annotated[str, typer.Argument(help="Alert whose evidence is kept.")],
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")],
    release: Annotated[bool, typer.Option(help="Release the hold instead.")] = False,
) -> None:
    """Put an alert's events, snapshot and clip on legal hold (or release them)."""
    from cctwin.config import load_config
    from cctwin.store.sql import SqlStore

    try:
        with SqlStore.open(load_config(config_file).store) as store:
            found = store.set_legal_hold(alert_id, not release)
    except CctwinError as exc:
        raise _fail(str(exc)) from None
    if not found:
        raise _fail(f"no alert {alert_id!r}", 1)
    typer.echo(f"{alert_id}: legal hold {'released' if release else 'set'}")
