"""Choose the hybrid counter's detector-or-density switch by cross-validation over folds.

Run: `python -m cctwin.evaluate.switch_cv [--street DIR] [--dense DIR] [--cache FILE]`.
Every development scene (crowd-street's development half and 2x2 tiles of it, ShanghaiTech's
photos and their crops) is counted once on both paths; the rule's settings are then searched
on all folds but one and scored on the one left out, for each fold in turn.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from cctwin.analytics.crowd.hybrid import SwitchRule, choose_method, floor_corrected_count
from cctwin.evaluate.crowd_scenes import Scene, dense_scenes, street_scenes

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
# Relative error with a floor of 10 people, so a near-empty crop cannot outweigh a crowd.
ERROR_FLOOR = 10
# The grid searched: ratio of corrected density to boxes, the absolute density level above
# which the detector is not trusted whatever it finds, and the density per output cell.
RATIOS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
ABSOLUTES = (100.0, 125.0, 150.0, 175.0, 200.0, 225.0, 250.0, 300.0, 400.0, float("inf"))
PER_CELL = (0.0, 0.005, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025)
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
            )
        )
    return out


def error(row: SceneCounts, rule: SwitchRule, jitter: float = 1.0) -> float:
    """Relative error of the path the rule picks (floor ERROR_FLOOR people).

    `jitter` scales only what the rule sees of CSRNet, not the density path's count.
    """
    method = choose_method(row.boxes, row.corrected * jitter, row.cells, rule)
    count = row.density_path if method == "density" else row.detector_path
    return abs(count - row.truth) / max(row.truth, ERROR_FLOOR)


def robust_error(row: SceneCounts, rule: SwitchRule) -> float:
    """The error averaged over JITTER."""
    return statistics.fmean(error(row, rule, j) for j in JITTER)


def candidates(base: SwitchRule) -> list[SwitchRule]:
    """Every rule on the grid, the other fields as in `base`."""
    return [
        replace(base, ratio=r, absolute=a, min_per_cell=c)
        for r, a, c in itertools.product(RATIOS, ABSOLUTES, PER_CELL)
    ]


def mean_error(rows: list[SceneCounts], rule: SwitchRule) -> float:
    """Mean over folds of each fold's mean error, so a fold with many crops weighs as one."""
    folds = sorted({r.fold for r in rows})
    return statistics.fmean(
        statistics.fmean(robust_error(r, rule) for r in rows if r.fold == f) for f in folds
    )


def best_rule(rows: list[SceneCounts], base: SwitchRule) -> SwitchRule:
    """The lowest mean error under JITTER; among ties the lowest absolute level, then the
    median ratio and per-cell level.

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


def _load_or_measure(street: Path, dense: Path, cache: Path | None) -> list[SceneCounts]:
    """Counts per scene; scenes already in `cache` (by name and fold) are not counted again."""
    known: dict[tuple[str, str], SceneCounts] = {}
    if cache is not None and cache.is_file():
        for row in json.loads(cache.read_text()):
            counts = SceneCounts(**row)
            known[(counts.fold, counts.name)] = counts
    scenes = street_scenes(street) + dense_scenes(dense)
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
    return f"ratio {rule.ratio}, absolute {rule.absolute}, per cell {rule.min_per_cell}"


def main() -> None:
    """Print the per-fold table, the spread, and the rule chosen on every fold."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--street", type=Path, default=SHARED / "crowd-street" / "train_data")
    parser.add_argument("--dense", type=Path, default=SHARED / "crowd-shanghaitech-a")
    parser.add_argument("--cache", type=Path, help="JSON of the measured scenes (reused).")
    parser.add_argument(
        "--export", type=Path, help="Also write the scenes as a `cctwin eval counting` folder."
    )
    args = parser.parse_args()
    if args.export is not None:
        export(street_scenes(args.street) + dense_scenes(args.dense), args.export)
    rows = _load_or_measure(args.street, args.dense, args.cache)
    # The rule shipped before 2026-12-06 (ratio 4, no absolute level) is the baseline.
    before = SwitchRule(ratio=4.0, absolute=float("inf"))
    write = sys.stdout.write
    write(f"{len(rows)} scenes in {len({r.fold for r in rows})} folds\n")
    folds = cross_validate(rows, before)
    for f in folds:
        write(
            f"{f.fold:<14} left out: error {f.error_before:.3f} -> {f.error:.3f}  "
            f"(chosen without it: {_describe(f.chosen)})\n"
        )
    after = [f.error for f in folds]
    write(
        f"out-of-fold mean error {statistics.fmean(f.error_before for f in folds):.3f} -> "
        f"{statistics.fmean(after):.3f}; per fold {min(after):.3f}-{max(after):.3f}, "
        f"sd {statistics.pstdev(after):.3f}\n"
    )
    write(f"chosen on every fold: {_describe(best_rule(rows, before))}\n")


if __name__ == "__main__":
    main()
