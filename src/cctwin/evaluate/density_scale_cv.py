"""Choose the density path's size correction (DensityScale) by cross-validation over folds.

Run: `python -m cctwin.evaluate.density_scale_cv [--street DIR] [--dense DIR] [--cache FILE]`.
The scenes, folds and cache are the switch's (`cctwin.evaluate.switch_cv`): every development
scene is counted once on both paths; the shipped switch picks the path, and the factor
`at_reference + per_doubling * log2(cells / reference)` scales the density path's raw sum.
The two settings are searched on all folds but one and scored on the one left out.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from cctwin.analytics.crowd.hybrid import NO_SCALE, DensityScale, SwitchRule, choose_method
from cctwin.evaluate.switch_cv import ERROR_FLOOR, SHARED, SceneCounts, _load_or_measure

# The grid: the factor at 4,096 output cells (a 512x512 input) and its change per doubling.
AT_REFERENCE = tuple(round(1.0 + 0.05 * i, 2) for i in range(13))
PER_DOUBLING = tuple(round(-0.2 + 0.025 * i, 3) for i in range(17))


def error(row: SceneCounts, scale: DensityScale, rule: SwitchRule) -> float:
    """Relative error (floor ERROR_FLOOR people) of the path the switch picks, scaled."""
    method = choose_method(row.boxes, row.corrected, row.cells, rule, row.corrected_half)
    density = row.density_path * scale.factor(row.cells)
    count = density if method == "density" else row.detector_path
    return abs(count - row.truth) / max(row.truth, ERROR_FLOOR)


def mean_error(rows: list[SceneCounts], scale: DensityScale, rule: SwitchRule) -> float:
    """Mean over folds of each fold's mean error, so a fold with many crops weighs as one."""
    folds = sorted({r.fold for r in rows})
    return statistics.fmean(
        statistics.fmean(error(r, scale, rule) for r in rows if r.fold == f) for f in folds
    )


def best_scale(rows: list[SceneCounts], rule: SwitchRule) -> DensityScale:
    """The grid point with the lowest mean error (ties: the smallest change per doubling)."""
    grid = [
        replace(DensityScale(), at_reference=a, per_doubling=d)
        for a, d in itertools.product(AT_REFERENCE, PER_DOUBLING)
    ]
    return min(grid, key=lambda s: (round(mean_error(rows, s, rule), 9), abs(s.per_doubling)))


@dataclass(frozen=True)
class FoldResult:
    """A left-out fold: the scale chosen without it, the errors on it, its photos' errors."""

    fold: str
    chosen: DensityScale
    error: float
    error_before: float
    photos: dict[str, tuple[float, float]]


def cross_validate(rows: list[SceneCounts], rule: SwitchRule) -> list[FoldResult]:
    """Leave one fold out: choose on the rest, score it and no scaling on the one left out."""
    results = []
    for fold in sorted({r.fold for r in rows}):
        outside = [r for r in rows if r.fold == fold]
        scale = best_scale([r for r in rows if r.fold != fold], rule)
        photos = {
            r.name: (error(r, NO_SCALE, rule), error(r, scale, rule))
            for r in outside
            if r.kind == "photo"
            and choose_method(r.boxes, r.corrected, r.cells, rule, r.corrected_half) == "density"
        }
        results.append(
            FoldResult(
                fold,
                scale,
                statistics.fmean(error(r, scale, rule) for r in outside),
                statistics.fmean(error(r, NO_SCALE, rule) for r in outside),
                photos,
            )
        )
    return results


def main() -> None:
    """Print the per-fold table, the spread, and the scale chosen on every fold."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--street", type=Path, default=SHARED / "crowd-street" / "train_data")
    parser.add_argument("--dense", type=Path, default=SHARED / "crowd-shanghaitech-a")
    parser.add_argument("--pets", type=Path, default=SHARED / "pets2009-s2l1")
    parser.add_argument("--cache", type=Path, help="JSON of the measured scenes (reused).")
    args = parser.parse_args()
    rows = _load_or_measure(args.street, args.dense, args.cache, args.pets)
    rule = SwitchRule()
    write = sys.stdout.write
    write(f"{len(rows)} scenes in {len({r.fold for r in rows})} folds\n")
    folds = cross_validate(rows, rule)
    for f in folds:
        photos = ", ".join(f"{n} {a:.3f} -> {b:.3f}" for n, (a, b) in f.photos.items())
        write(
            f"{f.fold:<14} left out: error {f.error_before:.3f} -> {f.error:.3f}  (chosen "
            f"without it: {f.chosen.at_reference}, {f.chosen.per_doubling})"
            + (f"; dense photos {photos}" if photos else "")
            + "\n"
        )
    after = [f.error for f in folds]
    write(
        f"out-of-fold mean error {statistics.fmean(f.error_before for f in folds):.3f} -> "
        f"{statistics.fmean(after):.3f}; per fold {min(after):.3f}-{max(after):.3f}, "
        f"sd {statistics.pstdev(after):.3f}\n"
    )
    chosen = best_scale(rows, rule)
    write(f"chosen on every fold: at_reference {chosen.at_reference}, ")
    write(f"per_doubling {chosen.per_doubling}\n")


if __name__ == "__main__":
    main()
