"""PETS 2009 S2.L1 accuracy through the product's own commands; prints one JSON object.

Runs `cctwin analyze` over the whole clip (with config/pets2009.yaml, or with no config as a
user's first run), then `cctwin eval tracking` and `cctwin eval detection` on each split of
the annotated frames: 1-200 (development: settings were chosen here) and 201-400 (checked
only). Frames 401-795 have no ground truth here; they are held out by the issue's
measurers. `--cost` instead times what appearance adds per frame on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "pets2009-s2l1"
SPLITS = {"development": "1:200", "check": "201:400", "all_annotated": "1:400"}


def cctwin(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cctwin", *args], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"cctwin {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    return f"{platform.machine()} {platform.processor() or ''} cpus={cpus}".strip()


def accuracy(args: argparse.Namespace) -> dict[str, Any]:
    config = [] if args.no_config else ["--config", str(args.config)]
    cctwin("analyze", str(args.video), *config, "--out", str(args.out))
    summary = json.loads((args.out / "summary.json").read_text())
    splits: dict[str, Any] = {}
    for name, frames in SPLITS.items():
        tracking = json.loads(
            cctwin("eval", "tracking", "--gt", str(args.gt), "--tracks",
                   str(args.out / "tracks.txt"), "--frames", frames, "--json")
        )  # fmt: skip
        detection = json.loads(
            cctwin("eval", "detection", "--gt", str(args.gt), "--detections",
                   str(args.out / "detections.txt"), "--frames", frames, "--json")
        )  # fmt: skip
        splits[name] = {"frames": frames, "tracking": tracking, "detection_at_iou_0_5": detection}
    return {
        "benchmark": "pets2009-s2l1",
        "config": "none" if args.no_config else str(args.config.relative_to(ROOT)),
        "date": datetime.now(UTC).date().isoformat(),
        "machine": machine(),
        "splits": splits,
        "detector_input": summary["detector"].get("input_width") or "auto",
        "analysed_fps": summary["fps"],
        "ms_per_frame": summary["ms_per_frame"],
    }


def cost(args: argparse.Namespace) -> dict[str, Any]:
    """Detector ms per frame with and without embeddings, interleaved so load hits all alike."""
    import av

    from cctwin.config import ByteTrackConfig, NanoDetConfig
    from cctwin.detect.nanodet import NanoDetDetector
    from cctwin.track.bytetrack import ByteTracker
    from cctwin.types import Frame

    container = av.open(str(args.video))
    frames = []
    for index, decoded in enumerate(container.decode(video=0), start=1):
        image = decoded.to_ndarray(format="bgr24")
        frames.append(Frame("pets", index, datetime.now(UTC), (index - 1) / 10, image))
        if index >= args.cost_frames:
            break
    container.close()
    base = NanoDetConfig(threads=1, batch_size=4)
    square = {"appearance": False, "input_width": 416, "input_height": 416}
    detectors = {
        "without": NanoDetDetector(base.model_copy(update={"appearance": False})),
        "with": NanoDetDetector(base),
        "416x416 without (the old default)": NanoDetDetector(base.model_copy(update=square)),
    }
    seconds = dict.fromkeys(detectors, 0.0)
    found = {}
    for _ in range(args.cost_rounds):
        for start in range(0, len(frames), 4):
            for name, detector in detectors.items():
                started = time.perf_counter()
                found[name, start] = detector.detect(frames[start : start + 4])
                seconds[name] += time.perf_counter() - started
    track_s = {}
    for name in detectors:
        tracker = ByteTracker(ByteTrackConfig(), 10.0)
        started = time.perf_counter()
        for start in range(0, len(frames), 4):
            for offset, dets in enumerate(found[name, start]):
                tracker.update(dets, (start + offset) / 10)
        track_s[name] = time.perf_counter() - started
    per_frame = len(frames) * args.cost_rounds
    return {
        "benchmark": "pets2009-s2l1 appearance cost",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": machine(),
        "frames": len(frames),
        "rounds": args.cost_rounds,
        "detector_input": list(detectors["with"].size or ()),
        "detect_ms_per_frame": {k: round(1000 * v / per_frame, 2) for k, v in seconds.items()},
        "track_ms_per_frame": {k: round(1000 * v / len(frames), 2) for k, v in track_s.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--video", type=Path, default=DATA / "video.avi")
    parser.add_argument("--gt", type=Path, default=DATA / "gt_frames_0001-0400.txt")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "pets2009.yaml")
    parser.add_argument("--no-config", action="store_true", help="Defaults, as a first run.")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval" / "pets2009")
    parser.add_argument("--cost", action="store_true", help="Time appearance instead.")
    parser.add_argument("--cost-frames", type=int, default=80)
    parser.add_argument("--cost-rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.video.is_file() or not args.gt.is_file():
        raise SystemExit(f"PETS 2009 data not found under {DATA} (../shared/data is absent)")
    result = cost(args) if args.cost else accuracy(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
