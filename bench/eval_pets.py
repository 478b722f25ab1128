"""PETS 2009 S2.L1 accuracy through the product's own commands; prints one JSON object.

Runs `cctwin analyze` with config/pets2009.yaml over the whole clip, then `cctwin eval
tracking` and `cctwin eval detection` on the annotated frames (1-400 here; the held-out
frames 401-795 are scored the same way with --gt and --frames).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "pets2009-s2l1"


def cctwin(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cctwin", *args], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"cctwin {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--video", type=Path, default=DATA / "video.avi")
    parser.add_argument("--gt", type=Path, default=DATA / "gt_frames_0001-0400.txt")
    parser.add_argument("--frames", default="1:400")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "pets2009.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval" / "pets2009")
    args = parser.parse_args()
    if not args.video.is_file() or not args.gt.is_file():
        raise SystemExit(f"PETS 2009 data not found under {DATA} (../shared/data is absent)")
    cctwin("analyze", str(args.video), "--config", str(args.config), "--out", str(args.out))
    summary = json.loads((args.out / "summary.json").read_text())
    tracking = json.loads(
        cctwin("eval", "tracking", "--gt", str(args.gt), "--tracks", str(args.out / "tracks.txt"),
               "--frames", args.frames, "--json")
    )  # fmt: skip
    detection = json.loads(
        cctwin("eval", "detection", "--gt", str(args.gt), "--detections",
               str(args.out / "detections.txt"), "--frames", args.frames, "--json")
    )  # fmt: skip
    result = {
        "benchmark": "pets2009-s2l1",
        "frames": args.frames,
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()} {platform.processor() or ''} cpus={len(__import__('os').sched_getaffinity(0))}".strip(),
        "tracking": tracking,
        "detection_at_iou_0_5": detection,
        "analysed_fps": summary["fps"],
        "ms_per_frame": summary["ms_per_frame"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
