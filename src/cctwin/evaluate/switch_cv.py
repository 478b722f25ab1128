"""Choose the hybrid counter's detector-or-density switch by cross-validation over folds.

Run: `python -m cctwin.evaluate.switch_cv [--street DIR] [--dense DIR] [--pets DIR]
[--cache FILE]`. Every development scene (crowd-street's development half and mosaics of it,
ShanghaiTech's photos and their crops, and those crops in wide PETS views) is counted once on
both paths, and CSRNet is run again at half size; the rule's settings are then searched on
all folds but one and scored on the one left out, for each fold in turn.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from cctwin.analytics.crowd.hybrid import (
    DensityScale,
    SwitchRule,
    choose_method,
    floor_corrected_count,
    half_side,
)
from cctwin.evaluate.crowd_scenes import Scene, dense_scenes, street_scenes, wide_scenes

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
# Relative error with a floor of 10 people, so a near-empty crop cannot outweigh a crowd.
ERROR_FLOOR = 10
# The grid searched: ratio of corrected density to boxes, the absolute density level above
# which the detector is not trusted whatever it finds, and the density per output cell.
RATIOS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
ABSOLUTES = (100.0, 125.0, 150.0, 175.0, 200.0, 225.0, 250.0, 300.0, 400.0, float("inf"))
PER_CELL = (0.0, 0.005, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025)
# The share of the estimate CSRNet must still see with the input halved (0: not asked).
KEPT_AT_HALF = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
# Each scene is also judged with CSRNet's estimate 20 % lower and 25 % higher: a rule must
# keep its choice under that much error, so no threshold sits right against a scene.
JITTER = (0.8, 1.0, 1.25)


@dataclass(frozen=True)
class SceneCounts:
    """What the switch sees on one scene, and both paths' answers."""

    name: str
    fold: str
    kind: str
    truth: int
    boxes: int
    corrected: float
    cells: int
    detector_path: float
    density_path: float
    # The floor-corrected estimate with the input halved (None: not measured).
    corrected_half: float | None = None


def measure(scenes: list[Scene]) -> list[SceneCounts]:
    """Count every scene on both paths (the switch is forced off, then read from the map)."""
    from rich.progress import track

    from cctwin.analytics.crowd.hybrid import HybridCounter

    never = SwitchRule(min_count=float("inf"))
    counter = HybridCounter(rule=never, threads=2)
    out = []
    for scene in track(scenes, description="counting scenes", console=None):
        result = counter.count(scene.image)
        corrected, cells = floor_corrected_count(result.density_map, never.cell_floor)
        halved = counter.density.count(scene.image, None, half_side(scene.image.shape, 1024))
        at_half, _ = floor_corrected_count(halved.density_map, never.cell_floor)
        out.append(
            SceneCounts(
                scene.name,
                scene.fold,
                scene.kind,
                scene.count,
                result.detector_count,
                corrected,
                cells,
                float(result.count),
                float(result.density_count),
                at_half,
            )
        )
    return out


def error(row: SceneCounts, rule: SwitchRule, jitter: float = 1.0) -> float:
    """Relative error of the path the rule picks (floor ERROR_FLOOR people).

    `jitter` scales only what the rule sees of CSRNet, not the density path's count.
    """
    half = None if row.corrected_half is None else row.corrected_half * jitter
    method = choose_method(row.boxes, row.corrected * jitter, row.cells, rule, half)
    # The density path as the product counts it: the raw sum times the size correction.
    density = row.density_path * DensityScale().factor(row.cells)
    count = density if method == "density" else row.detector_path
    return abs(count - row.truth) / max(row.truth, ERROR_FLOOR)


def robust_error(row: SceneCounts, rule: SwitchRule) -> float:
    """The error averaged over JITTER."""
    return statistics.fmean(error(row, rule, j) for j in JITTER)


def candidates(base: SwitchRule) -> list[SwitchRule]:
    """Every rule on the grid, the other fields as in `base`."""
    return [
        replace(base, ratio=r, absolute=a, min_per_cell=c, min_kept_at_half=k)
        for r, a, c, k in itertools.product(RATIOS, ABSOLUTES, PER_CELL, KEPT_AT_HALF)
    ]


def mean_error(rows: list[SceneCounts], rule: SwitchRule) -> float:
    """Mean over folds of each fold's mean error, so a fold with many crops weighs as one."""
    folds = sorted({r.fold for r in rows})
    return statistics.fmean(
        statistics.fmean(robust_error(r, rule) for r in rows if r.fold == f) for f in folds
    )


def best_rule(rows: list[SceneCounts], base: SwitchRule) -> SwitchRule:
    """The lowest mean error under JITTER; among ties the lowest absolute level, then the
    median ratio, the largest share kept at half size and the median per-cell level.

    The share kept at half size guards against textures CSRNet misreads; development crowds
    bound it from above and only a fold with such a texture bounds it from below. The
    largest tied share is the strictest guard no development crowd fails: with the median,
    the folds without crowd-street's IMG_18 chose 0.1 and let it through (2.1 error).

    Development scenes bound the absolute level from below only (no scene there needs it), so
    the lowest tied level is the first one the jittered scenes allow: CSRNet is trusted as
    soon as development data shows no scene where that would be wrong, with a 25 % margin.
    """
    scored = [(round(mean_error(rows, rule), 9), rule) for rule in candidates(base)]
    lowest = min(score for score, _ in scored)
    tied = [rule for score, rule in scored if score == lowest]
    absolute = min(r.absolute for r in tied)
    tied = [r for r in tied if r.absolute == absolute]
    ratio = statistics.median_low([r.ratio for r in tied])
    tied = [r for r in tied if r.ratio == ratio]
    kept = max(r.min_kept_at_half for r in tied)
    tied = [r for r in tied if r.min_kept_at_half == kept]
    return tied[(len(tied) - 1) // 2]


@dataclass(frozen=True)
class FoldResult:
    """A left-out fold: the rule chosen without it, and the errors on it."""

    fold: str
    chosen: SwitchRule
    error: float
    error_before: float


def cross_validate(rows: list[SceneCounts], base: SwitchRule) -> list[FoldResult]:
    """Leave one fold out: choose on the rest, score the rule and `base` on the one left out."""
    results = []
    for fold in sorted({r.fold for r in rows}):
        inside = [r for r in rows if r.fold != fold]
        outside = [r for r in rows if r.fold == fold]
        rule = best_rule(inside, base)
        results.append(
            FoldResult(
                fold,
                rule,
                statistics.fmean(error(r, rule) for r in outside),
                statistics.fmean(error(r, base) for r in outside),
            )
        )
    return results


def development_scenes(street: Path, dense: Path, pets: Path | None) -> list[Scene]:
    """Every development scene; the wide views need PETS 2009 (skipped without it)."""
    wide = wide_scenes(dense, pets) if pets is not None and pets.is_dir() else []
    return street_scenes(street) + dense_scenes(dense) + wide


def _load_or_measure(
    street: Path, dense: Path, cache: Path | None, pets: Path | None = None
) -> list[SceneCounts]:
    """Counts per scene; scenes already in `cache` (by name and fold) are not counted again."""
    known: dict[tuple[str, str], SceneCounts] = {}
    if cache is not None and cache.is_file():
        for row in json.loads(cache.read_text()):
            counts = SceneCounts(**row)
            if counts.corrected_half is not None:  # older caches lack the half-size run
                known[(counts.fold, counts.name)] = counts
    scenes = development_scenes(street, dense, pets)
    missing = [s for s in scenes if (s.fold, s.name) not in known]
    for counts in measure(missing) if missing else []:
        known[(counts.fold, counts.name)] = counts
    rows = [known[(s.fold, s.name)] for s in scenes]
    if cache is not None:
        cache.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return rows


def export(scenes: list[Scene], out: Path) -> None:
    """images/<fold>__<name>.png and ground-truth/<same stem>.json ({"count": n})."""
    import cv2

    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "ground-truth").mkdir(exist_ok=True)
    for scene in scenes:
        stem = f"{scene.fold}__{scene.name}".replace(".jpg", "")
        cv2.imwrite(str(out / "images" / f"{stem}.png"), scene.image)
        (out / "ground-truth" / f"{stem}.json").write_text(json.dumps({"count": scene.count}))


def _describe(rule: SwitchRule) -> str:
    return (
        f"ratio {rule.ratio}, absolute {rule.absolute}, per cell {rule.min_per_cell}, "
        f"kept at half {rule.min_kept_at_half}"
    )


def main() -> None:
    """Print the per-fold table, the spread, and the rule chosen on every fold."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--street", type=Path, default=SHARED / "crowd-street" / "train_data")
    parser.add_argument("--dense", type=Path, default=SHARED / "crowd-shanghaitech-a")
    parser.add_argument("--pets", type=Path, default=SHARED / "pets2009-s2l1")
    parser.add_argument("--cache", type=Path, help="JSON of the measured scenes (reused).")
    parser.add_argument(
        "--export", type=Path, help="Also write the scenes as a `cctwin eval counting` folder."
    )
    args = parser.parse_args()
    if args.export is not None:
        export(development_scenes(args.street, args.dense, args.pets), args.export)
    rows = _load_or_measure(args.street, args.dense, args.cache, args.pets)
    # The rule shipped before the half-size confirmation is the baseline.
    before = SwitchRule(ratio=1.25, min_per_cell=0.02, min_kept_at_half=0.0)
    write = sys.stdout.write
    write(f"{len(rows)} scenes in {len({r.fold for r in rows})} folds\n")
    folds = cross_validate(rows, before)
    for f in folds:
        write(
            f"{f.fold:<14} left out: error {f.error_before:.3f} -> {f.error:.3f}  "
            f"(chosen without it: {_describe(f.chosen)})\n"
        )
    after = [f.error for f in folds]
    for kind in sorted({r.kind for r in rows}):
        pairs = [
            (error(r, before), error(r, f.chosen))
            for f in folds
            for r in rows
            if r.fold == f.fold and r.kind == kind
        ]
        write(
            f"{kind:<6} ({len(pairs)} scenes) out of fold: "
            f"{statistics.fmean(a for a, _ in pairs):.3f} -> "
            f"{statistics.fmean(b for _, b in pairs):.3f}\n"
        )
    write(
        f"out-of-fold mean error {statistics.fmean(f.error_before for f in folds):.3f} -> "
        f"{statistics.fmean(after):.3f}; per fold {min(after):.3f}-{max(after):.3f}, "
        f"sd {statistics.pstdev(after):.3f}\n"
    )
    write(f"chosen on every fold: {_describe(best_rule(rows, before))}\n")


if __name__ == "__main__":
    main()
