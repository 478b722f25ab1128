"""Fixed-N `bench streams` trials of several checkouts or levers, interleaved; JSON lines out.

One RTSP server serves every trial; each trial runs in a fresh interpreter with its variant's
`src` on PYTHONPATH, and the order alternates between rounds, so machine load (shared cores)
falls on every variant alike. Compare CPU per stream inside one run only.

    python bench/streams_ab.py --variant old=../wt-old/src --variant now=src \\
        --streams 16 --streams 26 --rounds 2 --decode-only-too
    python bench/streams_ab.py --variant base=src:motion=0 --variant gate=src:motion=1 ...
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIELDS = (
    "sustained",
    "min_camera_fps",
    "p50_latency_ms",
    "p95_latency_ms",
    "cpu_per_stream",
    "frames_analysed",
    "frames_dropped",
    "detect_skipped",
)


def parse_variant(text: str) -> tuple[str, str, dict[str, Any]]:
    """`name=src[:lever=value,...]`; levers (motion, skip_loop_filter, precision) need a
    checkout that has `Levers`."""
    name, _, rest = text.partition("=")
    src, _, lever_text = rest.partition(":")
    levers: dict[str, Any] = {}
    for item in filter(None, lever_text.split(",")):
        key, _, value = item.partition("=")
        levers[key] = value if key == "precision" else value in ("1", "true", "yes")
    return name, str(Path(src).resolve()), levers


def one_trial(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs inside the variant's interpreter (see `--child`)."""
    from cctwin.bench import streams

    levers = spec["levers"]
    urls = [tuple(u) for u in spec["urls"]]
    args = (urls, "keyframes", 1.0)
    if levers or hasattr(streams, "Levers"):
        lever_set = streams.Levers(**levers)
        config = streams.bench_config(8, 1, precision=lever_set.precision)
        result = streams.run_trial(
            *args, config, spec["seconds"], 2, spec["decode_only"], lever_set
        )
    else:  # a checkout from before the levers
        config = streams.bench_config(8, 1)
        result = streams.run_trial(*args, config, spec["seconds"], 2, spec["decode_only"])
    return asdict(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", default=[], help="name=src[:levers]")
    parser.add_argument("--streams", action="append", type=int, default=[])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--decode-only-too", action="store_true")
    parser.add_argument(
        "--footage", type=Path, default=ROOT.parent / "shared/data/pets2009-s2l1/video.avi"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(one_trial(json.loads(options.child))))
        return
    run(options)


def run(options: argparse.Namespace) -> None:
    from cctwin.bench.rtsp_server import RtspLoopServer
    from cctwin.bench.streams import prepare_footage

    variants = [parse_variant(v) for v in options.variant]
    main_clip, _sub = prepare_footage(options.footage, ROOT / "var/bench", "1080p")
    most = max(options.streams or [16])
    mounts = {f"cam{i + 1}": main_clip for i in range(most)}
    with RtspLoopServer(mounts) as server:
        urls = [(server.url(f"cam{i + 1}"), server.url(f"cam{i + 1}")) for i in range(most)]
        for round_no in range(options.rounds):
            order = variants if round_no % 2 == 0 else variants[::-1]
            for n in options.streams or [16]:
                for decode_only in (True, False) if options.decode_only_too else (False,):
                    for name, src, levers in order:
                        spec = {
                            "urls": urls[:n],
                            "seconds": options.seconds,
                            "decode_only": decode_only,
                            "levers": levers,
                        }
                        started, cpu = time.monotonic(), server.cpu_seconds()
                        done = subprocess.run(
                            [sys.executable, __file__, "--child", json.dumps(spec)],
                            env=dict(os.environ, PYTHONPATH=src),
                            capture_output=True,
                            text=True,
                            cwd=ROOT,
                        )
                        line: dict[str, Any] = {"round": round_no, "variant": name, "streams": n}
                        line["decode_only"] = decode_only
                        line["load1"] = round(os.getloadavg()[0], 1)
                        server_share = (server.cpu_seconds() - cpu) / (time.monotonic() - started)
                        line["server_cpu_per_stream"] = round(server_share / n, 4)
                        if done.returncode:
                            line["error"] = done.stderr[-800:]
                        else:
                            result = json.loads(done.stdout.strip().splitlines()[-1])
                            line.update({k: result.get(k) for k in FIELDS})
                        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
