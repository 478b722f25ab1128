"""Where one 1080p RTSP camera's CPU goes at 1 analysed fps, by stage; prints one JSON object.

One camera of the `bench streams` footage, read over RTSP in one thread for `--seconds`
(keyframes only, as the bench does), timing each call with the thread's own CPU clock so
other work on the machine does not count. The keyframes are then detected in batches of 8
and tracked through the bench's zone and line, timed the same way.

    python bench/stream_cost.py --seconds 30 [--skip-loop-filter]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 640, 360


def read_keyframes(url: str, seconds: float, skip_loop_filter: bool) -> dict[str, Any]:
    import av

    clock = time.thread_time
    container = av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10, 5))
    stream = container.streams.video[0]
    stream.codec_context.thread_count = 1
    stream.codec_context.skip_frame = "NONKEY"
    if skip_loop_filter:
        stream.codec_context.options = {"skip_loop_filter": "all"}
    spent = {"demux": 0.0, "decode": 0.0, "convert": 0.0}
    images: list[np.ndarray] = []
    packets = container.demux(stream)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        a = clock()
        packet = next(packets)
        b = clock()
        decoded = packet.decode()
        c = clock()
        images.extend(f.to_ndarray(format="bgr24", width=WIDTH, height=HEIGHT) for f in decoded)
        spent["demux"] += b - a
        spent["decode"] += c - b
        spent["convert"] += clock() - c
    wall = time.monotonic() - started
    container.close()
    return {"wall_s": wall, "spent": spent, "images": images}


def analyse(images: list[np.ndarray]) -> dict[str, float]:
    from cctwin.bench.streams import bench_analytics, bench_config
    from cctwin.config import CameraConfig, SamplingConfig, SamplingMode, SourceConfig
    from cctwin.detect.detector import create_detector
    from cctwin.pipeline import CameraPipeline
    from cctwin.types import Frame

    camera = CameraConfig(
        id="cam1",
        source=SourceConfig(url="rtsp://bench/cam1", analysis_width=WIDTH),
        sampling=SamplingConfig(mode=SamplingMode.KEYFRAMES),
        analytics=bench_analytics(),
    )
    config = bench_config(8, 1)
    detector = create_detector(config.detector)
    pipeline = CameraPipeline(camera, config.tracker, 1.0)
    frames = [
        Frame("cam1", i + 1, datetime.fromtimestamp(i, UTC), float(i), image, 3.0)
        for i, image in enumerate(images)
    ]
    detector.detect(frames[:8])  # the first run allocates; not steady state
    clock = time.thread_time
    spent = {"detect": 0.0, "track_and_analytics": 0.0}
    for i in range(0, len(frames), 8):
        batch = frames[i : i + 8]
        a = clock()
        found = detector.detect(batch)
        b = clock()
        for frame, detections in zip(batch, found, strict=True):
            pipeline.step(frame, detections)
        spent["detect"] += b - a
        spent["track_and_analytics"] += clock() - b
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--skip-loop-filter", action="store_true")
    parser.add_argument(
        "--footage", type=Path, default=ROOT.parent / "shared/data/pets2009-s2l1/video.avi"
    )
    options = parser.parse_args()
    from cctwin.bench.rtsp_server import RtspLoopServer
    from cctwin.bench.streams import prepare_footage

    clip, _sub = prepare_footage(options.footage, ROOT / "var/bench", "1080p")
    with RtspLoopServer({"cam1": clip}) as server:
        read = read_keyframes(server.url("cam1"), options.seconds, options.skip_loop_filter)
    spent = {**read["spent"], **analyse(read["images"])}
    per_second = {k: round(1000 * v / read["wall_s"], 2) for k, v in spent.items()}
    print(
        json.dumps(
            {
                "keyframes": len(read["images"]),
                "wall_s": round(read["wall_s"], 1),
                "skip_loop_filter": options.skip_loop_filter,
                "ms_per_stream_second": per_second,
                "cpu_per_stream": round(sum(spent.values()) / read["wall_s"], 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
