"""`cctwin forecast backtest`: drop in any time-series CSV, get MASE beside the baseline's."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cctwin.config.forecast import BACKTEST_HOLIDAYS

if TYPE_CHECKING:  # pandas, LightGBM and friends load only when a backtest runs
    from cctwin.forecast.backtest import BacktestResult, Drawn
    from cctwin.forecast.series import SeriesSet

forecast_app = typer.Typer(no_args_is_help=True, help="Forecasts and their backtests.")
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


@forecast_app.command("backtest")
def backtest(
    series: Annotated[Path, typer.Option("--series", help="Long CSV: time, series id, value.")],
    horizon: Annotated[int, typer.Option(help="Steps ahead (hours for hourly data).", min=1)],
    time_column: Annotated[
        str | None, typer.Option(help="Time column (default: ts, time, timestamp, date, ds).")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="Series id column (default: series_id, sensor_id, id...).")
    ] = None,
    value_column: Annotated[
        str | None, typer.Option(help="Value column (default: value, y, count...).")
    ] = None,
    origins: Annotated[
        int, typer.Option(help="Daily origins at 00:00, the last N days.", min=1)
    ] = 28,
    holidays: Annotated[
        str,
        typer.Option(
            help="Public-holiday calendar: country[-subdivision] (KR, AU-VIC), '' for none,"
            " or auto: the one the series' own history follows."
        ),
    ] = BACKTEST_HOLIDAYS,
    refit_days: Annotated[int, typer.Option(help="Refit the model every N days.", min=1)] = 7,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option(help="PNG of forecasts vs truth, a few series.")
    ] = None,
) -> None:
    """Rolling origins; the model is fitted only on data before each origin."""
    from cctwin.forecast.backtest import BacktestConfig, run_backtest
    from cctwin.forecast.series import SeriesColumns, SeriesError, read_series

    try:
        config = BacktestConfig(
            horizon=horizon, origins=origins, holidays=holidays, refit_days=refit_days
        )
        columns = SeriesColumns(time=time_column, id=id_column, value=value_column)
        data = read_series(series, columns)
        started = time.perf_counter()
        with Progress(
            TextColumn("backtest"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as bar:
            task = bar.add_task("fits", total=None)
            result, drawn = run_backtest(
                data, config, lambda done, total: bar.update(task, completed=done, total=total)
            )
        wall = time.perf_counter() - started
    except (SeriesError, ValueError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json") | {"wall_s": round(wall, 1)}))
    else:
        _table(result, wall)
    if plot is not None:
        _plot(plot, data, drawn, config.horizon)
        err.print(f"plot: {plot}")


def _table(result: BacktestResult, wall: float) -> None:
    out = Console()
    table = Table(title=f"Backtest at horizon {result.horizon} ({result.model})")
    for name in (
        "series",
        "origins",
        "MAE",
        "baseline MAE",
        "MASE",
        "baseline MASE",
        "ratio",
        "gaps",
    ):
        table.add_column(name, justify="right")
    for s in result.series:
        table.add_row(
            s.series_id,
            str(s.origins),
            f"{s.mae:.1f}",
            f"{s.baseline_mae:.1f}",
            f"{s.mase:.3f}",
            f"{s.baseline_mase:.3f}",
            f"{s.mase / s.baseline_mase:.3f}",
            str(result.gaps_missing.get(s.series_id, 0)),
        )
    out.print(table)
    q = ", ".join(f"{v:.3f}" for v in result.ratio_quartiles)
    out.print(
        f"MASE {result.mase:.3f} vs baseline {result.baseline_mase:.3f}: ratio {result.ratio:.3f}"
        f" (per-series ratio quartiles {q}); {result.n_series} series, {result.n_forecasts}"
        f" forecasts, {wall:.0f} s"
    )
    out.print(f"holiday calendar: {result.holidays or 'none'}")
    if result.gaps_missing:
        out.print(
            f"gaps: {sum(result.gaps_missing.values())} missing steps in {len(result.gaps_missing)}"
            " series, filled linearly up to 3 steps, else with the value a season before;"
            " missing truths are not scored"
        )
    if result.skipped:
        out.print(f"skipped (too short): {', '.join(result.skipped)}")


def _plot(path: Path, data: SeriesSet, drawn: dict[str, Drawn], horizon: int) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = list(drawn)[:4]
    fig, axes = plt.subplots(len(ids), 1, figsize=(11, 2.6 * len(ids)), squeeze=False)
    by_id = {s.id: s for s in data.series}
    for ax, sid in zip(axes[:, 0], ids, strict=True):
        s = by_id[sid]
        origins, forecast, base = drawn[sid]
        span = np.arange(int(origins[0]), int(origins[-1]) + horizon)
        ax.plot(s.index[span], s.observed[span], color="black", lw=1, label="truth")
        for i, o in enumerate(origins):
            t = s.index[int(o) : int(o) + horizon]
            ax.plot(t, forecast[i], color="tab:blue", lw=1, label="forecast" if i == 0 else None)
            ax.plot(
                t,
                base[i],
                color="tab:orange",
                lw=0.8,
                ls="--",
                label="seasonal naive" if i == 0 else None,
            )
        ax.set_title(f"series {sid}")
        ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
