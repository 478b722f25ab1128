"""Cost per analysed frame at 720p on one core with every analyser on; prints one JSON object.

Transcodes PETS 2009 S2.L1 (real campus CCTV) to 1280x720, then runs `cctwin analyze`
pinned to one core with one ONNX Runtime thread and a config that turns on zones, crowd
counting with the PETS Tsai calibration, fire and smoke, a flood ROI and fall detection. The
figure is the sum of the per-stage times in the run's summary.json, so decode counts too.
Analysers that work at an interval (fire every 1 s, flood every 30 s, the density model every
30 s while the zone is sparse and every 5 s once packed, pose at most every 1 s per person)
are amortised over the frames analysed in between, as they run live.

`--crowd-method density` forces the density model on the crowd zone (the dense-crowd path).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "pets2009-s2l1"


def config_for(
    video: Path,
    calibration: Path,
    fps: float,
    crowd_method: str,
    input_height: int,
    precision: str = "float32",
) -> dict[str, Any]:
    # The walkway PETS people cross, in normalised image coordinates.
    walkway = [[0.05, 0.35], [0.95, 0.35], [0.95, 0.95], [0.05, 0.95]]
    return {
        "detector": {
            "type": "nanodet",
            "threads": 1,
            "batch_size": 1,
            "input_width": 416,
            "input_height": input_height,
            "precision": precision,
        },
        "cameras": [
            {
                "id": "pets-720p",
                "source": {"url": str(video)},
                "sampling": {"mode": "fps", "fps": fps},
                "filters": {"person": {"min_area_px": 900}},
                "analytics": {
                    "zones": [{"id": "walkway", "polygon": walkway}],
                    "loitering": [{"id": "walkway-loiter", "zone": "walkway", "min_dwell_s": 30}],
                    "calibration": {"tsai_xml": str(calibration)},
                    "crowd": [{"id": "walkway-crowd", "zone": "walkway", "method": crowd_method}],
                    "fire": {},
                    "flood": [
                        {"id": "path", "roi": [[0.0, 0.6], [1.0, 0.6], [1.0, 1.0], [0.0, 1.0]]}
                    ],
                    "fall": {},
                },
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--video", type=Path, default=DATA / "video.avi")
    parser.add_argument("--calibration", type=Path, default=DATA / "calibration_View_001.xml")
    parser.add_argument("--fps", type=float, default=5.0, help="Analysed frames per second.")
    parser.add_argument("--seconds", type=float, default=40.0, help="Length of the 720p clip.")
    parser.add_argument("--crowd-method", choices=["auto", "detector", "density"], default="auto")
    parser.add_argument(
        "--input-height",
        type=int,
        default=256,
        help="Detector input height at width 416: 256 keeps a 16:9 frame's aspect (as the "
        "stream benchmark does); 416 squashes it into a square at 1.6x the cost.",
    )
    parser.add_argument(
        "--precision",
        choices=["auto", "float32", "int8"],
        default="float32",
        help="The detector's bundled copy: float32 (the product's default) or int8 (auto is "
        "int8 on a CPU).",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "safety-cost")
    args = parser.parse_args()
    if not args.video.is_file() or not args.calibration.is_file():
        raise SystemExit(f"PETS 2009 data not found under {DATA} (../shared/data is absent)")
    from cctwin.bench.clips import transcode_clip

    args.out.mkdir(parents=True, exist_ok=True)
    clip = args.out / f"pets-720p-{int(args.seconds)}s.mp4"
    if not clip.exists():
        transcode_clip(
            args.video, clip, width=1280, height=720, fps=10, gop=10, max_seconds=args.seconds
        )
    variant = f"{args.crowd_method}-{args.precision}"
    config_path = args.out / f"config-{variant}.yaml"
    config = config_for(
        clip, args.calibration, args.fps, args.crowd_method, args.input_height, args.precision
    )
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    run_dir = args.out / f"run-{variant}"
    one_thread = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    core = str(min(os.sched_getaffinity(0)))
    command = ["taskset", "-c", core, sys.executable, "-m", "cctwin", "analyze", str(clip),
               "--config", str(config_path), "--out", str(run_dir)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=one_thread, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"cctwin analyze failed:\n{done.stderr}")
    summary = json.loads((run_dir / "summary.json").read_text())
    stages: dict[str, float] = summary["ms_per_frame"]
    events: dict[str, int] = summary.get("events", {})
    print(
        json.dumps(
            {
                "benchmark": "safety-cost-720p",
                "date": datetime.now(UTC).date().isoformat(),
                "machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}, pinned to 1",
                "crowd_method": args.crowd_method,
                "detector_input": f"416x{args.input_height}",
                "detector_precision": args.precision,
                "analysed_fps": args.fps,
                "frames_analysed": summary.get("frames_analysed"),
                # safety.* stages are parts of `analytics`; the total counts them once.
                "ms_per_frame_total": round(
                    sum(v for k, v in stages.items() if not k.startswith("safety.")), 2
                ),
                "ms_per_frame": stages,
                "target_ms": 80,
                "events": events,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
