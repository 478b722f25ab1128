"""Run SWMM through pyswmm: depths every report step, progress, and refusal of a bad run."""

from __future__ import annotations

import dataclasses
import math
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cctwin.errors import CctwinError
from cctwin.scenarios.flood.scenario import FloodScenario

# SWMM's engine is one global state per process: one simulation at a time.
_ENGINE = threading.Lock()
# A depth beyond this (m) is a solver that blew up, not water in a street.
_DIVERGED_DEPTH_M = 1000.0
_SWMM_EPOCH = datetime(1899, 12, 30)


class FloodSimulationError(CctwinError):
    """SWMM refused the input, diverged, or ran out of its wall-clock time."""


@dataclass(frozen=True, slots=True)
class SwmmRun:
    """What one SWMM run produced, per node in the order of `node_ids`."""

    node_ids: list[str]
    times_s: list[float]
    depth_m: Any  # (steps, nodes) water depth above the invert
    full_depth_m: Any  # (nodes,) invert to rim
    max_depth_m: Any  # (nodes,) SWMM's own maximum (every routing step)
    time_of_max_s: Any  # (nodes,)
    overflow_m3: Any  # (nodes,) volume that left the pipes at the node
    over_rim_s: Any  # (nodes,) time water stood above the rim (every routing step)
    simulated_s: float
    runoff_error_pct: float
    routing_error_pct: float
    engine: str


def run_swmm(
    inp_text: str, scenario: FloodScenario, progress: Callable[[float], None] | None = None
) -> SwmmRun:
    """Run the .inp text; FloodSimulationError with a one-line reason when it cannot finish."""
    from pyswmm import Nodes, Simulation

    with _ENGINE, tempfile.TemporaryDirectory(prefix="cctwin-flood-") as folder:
        path = Path(folder) / "flood.inp"
        path.write_text(inp_text, encoding="ascii", errors="replace")
        try:
            with Simulation(str(path)) as sim:
                sim.step_advance(scenario.report_step_s)
                nodes = [node for node in Nodes(sim) if not node.is_outfall()]
                run = _drive(sim, nodes, scenario, progress)
        except FloodSimulationError:
            raise
        except Exception as exc:
            # swmm-toolkit raises a bare Exception carrying SWMM's "ERROR nnn: ..." text.
            raise FloodSimulationError(f"SWMM refused the run: {_swmm_reason(path, exc)}") from None
        # SWMM writes its mass balance into the report when the run closes.
        runoff, routing = _continuity(path.with_suffix(".rpt"))
    if not math.isfinite(routing) or abs(routing) > scenario.max_continuity_error_pct:
        raise FloodSimulationError(
            f"the simulation diverged: flow routing continuity error {routing:.1f} % exceeds "
            f"max_continuity_error_pct = {scenario.max_continuity_error_pct:g} %: try a smaller "
            "routing_step_s"
        )
    return dataclasses.replace(run, runoff_error_pct=runoff, routing_error_pct=routing)


def _continuity(report: Path) -> tuple[float, float]:
    """Runoff and flow routing continuity errors (%) from SWMM's report (NaN when absent)."""
    errors = []
    try:
        for line in report.read_text(encoding="ascii", errors="replace").splitlines():
            if line.strip().startswith("Continuity Error (%)"):
                errors.append(float(line.rsplit(maxsplit=1)[-1]))
    except (OSError, ValueError):
        pass
    if not errors:
        return math.nan, math.nan
    # A model without catchments reports only flow routing.
    return (errors[0], errors[1]) if len(errors) > 1 else (0.0, errors[0])


def _drive(
    sim: Any, nodes: list[Any], scenario: FloodScenario, progress: Callable[[float], None] | None
) -> SwmmRun:
    started = time.perf_counter()
    start = sim.start_time
    times: list[float] = []
    depths: list[list[float]] = []
    for _ in sim:
        row = [node.depth for node in nodes]
        if not all(math.isfinite(d) and d < _DIVERGED_DEPTH_M for d in row):
            sim.terminate_simulation()
            raise FloodSimulationError(
                f"the simulation diverged at {sim.current_time - start} (node depth "
                f"{max(row):.3g} m): try a smaller routing_step_s"
            )
        times.append((sim.current_time - start).total_seconds())
        depths.append(row)
        if progress is not None:
            progress(min(max(sim.percent_complete, 0.0), 1.0))
        if time.perf_counter() - started > scenario.timeout_s:
            sim.terminate_simulation()
            raise FloodSimulationError(
                f"the simulation did not finish in timeout_s = {scenario.timeout_s:g} s "
                f"(reached {sim.current_time - start} of {scenario.duration_h:g} h)"
            )
    # The last stride ends the loop before its depths are read: read them now.
    if not times or times[-1] < scenario.duration_h * 3600 - 1:
        times.append((sim.current_time - start).total_seconds())
        depths.append([node.depth for node in nodes])
    stats = [node.statistics for node in nodes]
    return SwmmRun(
        node_ids=[node.nodeid for node in nodes],
        times_s=times,
        depth_m=np.array(depths, dtype=np.float64).reshape(len(times), len(nodes)),
        full_depth_m=np.array([node.full_depth for node in nodes]),
        max_depth_m=np.array([s["max_depth"] for s in stats]),
        time_of_max_s=np.array([_since(s["max_depth_date"], start) for s in stats]),
        overflow_m3=np.array([s["flooding_volume"] for s in stats]),
        over_rim_s=np.array([s["flooding_duration"] * 3600.0 for s in stats]),
        simulated_s=float((sim.current_time - start).total_seconds()),
        runoff_error_pct=math.nan,
        routing_error_pct=math.nan,
        engine=f"SWMM {sim.engine_version}",
    )


def _since(swmm_date: float, start: datetime) -> float:
    """Seconds from `start` to a SWMM date (days since 30 Dec 1899, as spreadsheets count)."""
    return (_SWMM_EPOCH + timedelta(days=swmm_date) - start).total_seconds()


def _swmm_reason(path: Path, exc: Exception) -> str:
    """SWMM's own first error line (the exception's text, else the report's)."""
    text = " ".join(str(exc).split())
    if "ERROR" in text:
        return text
    report = path.with_suffix(".rpt")
    try:
        for line in report.read_text(encoding="ascii", errors="replace").splitlines():
            if "ERROR" in line:
                return line.strip()
    except OSError:
        pass
    return text or type(exc).__name__
