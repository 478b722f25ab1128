"""Masking cost per snapshot / live preview on one thread; prints one JSON object.

Times, on crowd-street's development photos (1024x768, real street scenes) and the same
photos resized to 1280x720: CenterFace alone, the worker's path (faces + head bands of the
tracks' person boxes + pixelation; the person boxes come from the live detector anyway),
pixelation alone, and the evaluation's path (which also runs the three-pass person detector).
With `--clip`, also the re-encoding of a masked clip per frame (people-walking, 640x360).
The machine may be shared: medians, and the load average is printed with them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from cctwin.evaluate.counting import development_half
from cctwin.evaluate.inputs import list_images, read_image
from cctwin.privacy.masker import Masker, MaskSettings, PeopleSource, draw_masks

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def _frames(size: tuple[int, int] | None, count: int) -> list[np.ndarray]:
    development, _ = development_half(list_images(DATA / "crowd-street" / "train_data" / "images"))
    images = [read_image(p) for p in development[:count]]
    frames = [i for i in images if i is not None]
    return [cv2.resize(f, size) for f in frames] if size else frames


def _image_costs(frames: list[np.ndarray], repeat: int) -> dict[str, float]:
    live = Masker(MaskSettings(people=PeopleSource.LIVE), threads=1)
    full = Masker(MaskSettings(), threads=1)
    # The worker has its tracks' boxes already; here the live-sized pass supplies them once.
    boxes = [live._person_counter().detect(f).xyxy for f in frames]
    faces = live._face_detector()
    rects = [live.regions(f, b) for f, b in zip(frames, boxes, strict=True)]
    full.regions(frames[0])  # load the models before timing
    rows: dict[str, list[float]] = {"faces": [], "worker": [], "pixelate": [], "evaluation": []}
    for frame, people, found in zip(frames, boxes, rects, strict=True):
        rows["faces"].append(_median_ms(lambda f=frame: faces.detect(f, 0.3), repeat))
        rows["worker"].append(_median_ms(lambda f=frame, p=people: live.mask(f, p), repeat))
        rows["pixelate"].append(
            _median_ms(lambda f=frame, r=found: draw_masks(f, r, live.settings.style), repeat)
        )
        rows["evaluation"].append(_median_ms(lambda f=frame: full.mask(f), 1))
    return {f"{name}_ms": round(statistics.median(v), 1) for name, v in rows.items()}


def _clip_cost(seconds: float) -> dict[str, float]:
    import av

    from cctwin.privacy.clips import mask_clip

    source = next((DATA / "people-walking").glob("*.mp4"))
    buffer = io.BytesIO()
    frames = 0
    with av.open(str(source)) as video, av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for frame in video.decode(video=0):
            image = cv2.resize(frame.to_ndarray(format="bgr24"), (640, 360))
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
            frames += 1
            if frames >= seconds * 25:
                break
        for packet in stream.encode(None):
            out.mux(packet)
    masker = Masker(MaskSettings(people=PeopleSource.LIVE), threads=1)
    start = time.perf_counter()
    mask_clip(buffer.getvalue(), masker)
    total = (time.perf_counter() - start) * 1000
    return {"clip_frames": frames, "clip_ms_per_frame": round(total / frames, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clip", type=float, default=0.0, help="Seconds of clip to time.")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    report: dict[str, object] = {
        "machine": platform.processor() or platform.machine(),
        "load_average": os.getloadavg()[0],
        "threads": 1,
        "images": args.images,
        "native_1024x768": _image_costs(_frames(None, args.images), args.repeat),
        "hd_1280x720": _image_costs(_frames((1280, 720), args.images), args.repeat),
    }
    if args.clip:
        report.update(_clip_cost(args.clip))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
