"""A before/after map of a camera plan: surfaces, covered ground, blind spots, new footprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely  # type: ignore[import-untyped]
from shapely.geometry import shape  # type: ignore[import-untyped]

from cctwin.config import Config
from cctwin.planning.coverage import measure
from cctwin.planning.plan import PlanReport

_COLOURS = {"roads": "#c8c8c8", "parks": "#b6dfa5", "trails": "#e8c27a"}


def _fill(ax: Any, geometry: Any, **style: Any) -> None:
    """Each polygon of `geometry` with its holes (the road network encloses the blocks)."""
    import numpy as np
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as DrawPath

    for part in shapely.get_parts(geometry):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings = [np.asarray(part.exterior.coords), *(np.asarray(r.coords) for r in part.interiors)]
        codes = []
        for ring in rings:
            codes += [DrawPath.MOVETO] + [DrawPath.LINETO] * (len(ring) - 2) + [DrawPath.CLOSEPOLY]
        path = DrawPath(np.concatenate(rings), codes)
        ax.add_patch(PathPatch(path, **style))


def plot_plan(config: Config, report: PlanReport, out: Path) -> None:
    """Two panels in site metres: coverage now, and with the proposed cameras (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    coverage = measure(config)
    geometry = coverage.surfaces.geometry
    added = [geometry.geometry_to_metres(shape(c.footprint)) for c in report.cameras]
    fig, axes = plt.subplots(1, 2, figsize=(14, 7), sharex=True, sharey=True)
    panels: tuple[tuple[Any, list[Any], float, str], ...] = (
        (axes[0], [], report.before, "before"),
        (axes[1], added, report.after, "after"),
    )
    for ax, extra, value, title in panels:
        for surface, ground in coverage.surfaces.by_class.items():
            _fill(ax, ground, color=_COLOURS[surface], linewidth=0)
        for b in geometry.buildings:
            _fill(ax, b.outline, color="#777777", linewidth=0)
        _fill(ax, coverage.covered, color="#2b7bba", alpha=0.6, linewidth=0)
        for ground in extra:
            _fill(ax, ground, color="#e34a33", alpha=0.6, linewidth=0)
        ax.set_title(f"{title}: weighted coverage {value:.1%}")
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.set_xlabel("m east")
    axes[0].set_ylabel("m north")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
