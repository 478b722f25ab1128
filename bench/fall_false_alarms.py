"""False fall alarms on real clips where nobody falls; prints one JSON object.

Runs the bundled NanoDet detector and ByteTrack over PETS 2009 S2.L1 view 1 (795 frames,
config/pets2009.yaml) and the people-walking clip, then the FallDetector twice per clip,
box geometry only and with MoveNet pose, and counts findings (a correct system raises 0).
It also runs pose on every tracked person every `--audit-interval` seconds to count how
often pose alone calls a walking person `down`, and times pose calls on one thread.
No labelled fall video exists in ../shared/data, so recall is not measured here; the
unit tests cover falls with generated sequences.
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.progress import Progress

from cctwin.analytics.fall.detector import FallDetector, FallFinding
from cctwin.analytics.fall.pose import FloatArray, Pose, PoseEstimator
from cctwin.analytics.fall.posture import PostureThresholds, pose_posture
from cctwin.config import (
    ByteTrackConfig,
    CameraConfig,
    Config,
    NanoDetConfig,
    SamplingConfig,
    SourceConfig,
    load_config,
)
from cctwin.detect.detector import Detector, create_detector
from cctwin.ingest.pyav import PyAvSource
from cctwin.pipeline import filter_objects
from cctwin.track.tracker import create_tracker
from cctwin.types import Frame

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class TrackedFrame:
    """What the detector and tracker made of one frame (cached between runs)."""

    index: int
    stream_time_s: float
    xyxy: FloatArray
    confidence: FloatArray
    track_id: npt.NDArray[np.int64]


class TimedPose:
    """Wraps a PoseEstimator to time every crop it runs."""

    def __init__(self, inner: PoseEstimator) -> None:
        self.inner = inner
        self.crop_ms: list[float] = []

    def estimate(
        self, image_bgr: npt.NDArray[np.uint8], boxes_xyxy: FloatArray
    ) -> list[Pose | None]:
        started = time.perf_counter()
        poses = self.inner.estimate(image_bgr, boxes_xyxy)
        if len(boxes_xyxy):
            per_crop = 1000 * (time.perf_counter() - started) / len(boxes_xyxy)
            self.crop_ms.extend([per_crop] * len(boxes_xyxy))
        return poses


def clip_setups() -> dict[str, tuple[Path, Config]]:
    pets = load_config(ROOT / "config" / "pets2009.yaml")
    walking = Config(
        detector=NanoDetConfig(
            input_width=640, input_height=352, classes=["person"], confidence=0.25, batch_size=4
        ),
        tracker=ByteTrackConfig(),
        cameras=[CameraConfig(id="people-walking", source=SourceConfig(url="people-walking.mp4"))],
    )
    return {
        "pets2009-s2l1": (DATA / "pets2009-s2l1" / "video.avi", pets),
        "people-walking": (DATA / "people-walking" / "people-walking.mp4", walking),
    }


def read_frames(video: Path, camera: CameraConfig) -> Iterator[Frame]:
    source = camera.source.model_copy(update={"url": str(video)})
    reader = PyAvSource(camera.id, source, SamplingConfig(), url=str(video))
    yield from reader.frames()


def track_clip(video: Path, config: Config, cache: Path, progress: Progress) -> list[TrackedFrame]:
    """Detector + tracker over the whole clip, cached in `cache` (pickle)."""
    if cache.is_file():
        tracked: list[TrackedFrame] = pickle.loads(cache.read_bytes())
        return tracked
    camera = config.cameras[0]
    detector = create_detector(config.detector)
    tracker = create_tracker(config.tracker, frame_rate=_fps(video))
    task = progress.add_task(f"detect+track {video.name}", total=None)
    tracked = []
    batch: list[Frame] = []

    def flush() -> None:
        for frame, detections in zip(batch, detector.detect(batch), strict=True):
            kept = filter_objects(detections, camera.filters, frame.scale)
            tracks = tracker.update(kept, frame.stream_time_s)
            row = TrackedFrame(
                frame.index, frame.stream_time_s, tracks.xyxy, tracks.confidence, tracks.track_id
            )
            tracked.append(row)
            progress.advance(task)
        batch.clear()

    for frame in read_frames(video, camera):
        batch.append(frame)
        if len(batch) >= config.detector.batch_size:
            flush()
    flush()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(tracked))
    return tracked


def _fps(video: Path) -> float:
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        return float(stream.average_rate or 25)


class PoseAudit:
    """Pose on every tracked walker, and on the same person turned 90 degrees in place.

    The turned copy is a synthetic stand-in for someone lying across the image (real
    pixels, artificial pose): it shows whether pose calls it `down` and whether the
    bundled detector still finds a person there, which the fall detector depends on.
    """

    def __init__(self, detector: Detector, interval_s: float) -> None:
        self.pose = PoseEstimator(threads=1)
        self.detector = detector
        self.interval_s = interval_s
        self.thresholds = PostureThresholds()
        self.walkers: Counter[str] = Counter()
        self.turned: Counter[str] = Counter()
        self._last: dict[int, float] = {}

    def observe(self, frame: Frame, step: TrackedFrame) -> None:
        due = [
            i
            for i, t in enumerate(step.track_id.tolist())
            if frame.stream_time_s - self._last.get(t, -1e9) >= self.interval_s
        ]
        for i, pose in zip(due, self.pose.estimate(frame.image, step.xyxy[due]), strict=True):
            self._last[int(step.track_id[i])] = frame.stream_time_s
            self.walkers[self._posture(pose)] += 1
            self._turned(frame, step.xyxy[i], clockwise=i % 2 == 0)

    def _posture(self, pose: Pose | None) -> str:
        posture = None if pose is None else pose_posture(pose, self.thresholds)
        return "no_pose" if posture is None else posture.value

    def _turned(self, frame: Frame, box: FloatArray, clockwise: bool) -> None:
        made = turn_person(frame.image, box, clockwise)
        if made is None:
            return
        image, turned = made
        self.turned[self._posture(self.pose.estimate(image, turned)[0])] += 1
        found = self.detector.detect([replace(frame, image=image)])[0]
        best = max((_iou(turned[0], d) for d in found.xyxy), default=0.0)
        self.turned["detector_found_iou_0_3"] += int(best >= 0.3)
        self.turned["total"] += 1


def _square(box: FloatArray, scale: float = 0.6) -> FloatArray:
    """The square that `turn_person` turns: 1.2x the long side, around the box centre."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = int(scale * max(box[2] - box[0], box[3] - box[1]))
    return np.array([int(cx) - half, int(cy) - half, int(cx) + half, int(cy) + half], np.float32)


def _centre_inside(region: FloatArray, box: FloatArray, margin: float = 0.5) -> bool:
    cx, cy = (region[0] + region[2]) / 2, (region[1] + region[3]) / 2
    w, h = box[2] - box[0], box[3] - box[1]
    return bool(box[0] - margin * w <= cx <= box[2] + margin * w) and bool(
        box[1] - margin * h <= cy <= box[3] + margin * h
    )


def turn_person(
    image: npt.NDArray[np.uint8], box: FloatArray, clockwise: bool = True
) -> tuple[npt.NDArray[np.uint8], FloatArray] | None:
    """The image with the square around `box` turned 90 degrees, and the turned box [1, 4]."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = int(0.6 * max(box[2] - box[0], box[3] - box[1]))
    x0, y0 = int(cx) - half, int(cy) - half
    if x0 < 3 or y0 < 3 or x0 + 2 * half > image.shape[1] - 3 or y0 + 2 * half > image.shape[0] - 3:
        return None
    turned_image = image.copy()
    patch = turned_image[y0 : y0 + 2 * half, x0 : x0 + 2 * half]
    turned_image[y0 : y0 + 2 * half, x0 : x0 + 2 * half] = np.rot90(patch, -1 if clockwise else 1)
    w, h = box[2] - box[0], box[3] - box[1]
    turned = np.array([[cx - h / 2, cy - w / 2, cx + h / 2, cy + w / 2]], np.float32)
    return turned_image, turned


def _iou(a: FloatArray, b: FloatArray) -> float:
    w = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    h = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - w * h
    return w * h / max(union, 1e-6)


@dataclass(frozen=True)
class FallCase:
    """A person walking upright for `lead_s` before `at_index`, then shown lying there."""

    at_index: int
    track_id: int
    box: FloatArray


def pick_fall_cases(
    tracked: list[TrackedFrame], fps: float, lead_s: float, gap_s: float, min_height: float
) -> list[FallCase]:
    """Every `gap_s`, the tallest person seen upright through the previous `lead_s`."""
    lead = round(lead_s * fps)
    cases: list[FallCase] = []
    for k in range(lead, len(tracked), max(1, round(gap_s * fps))):
        window = tracked[k - lead : k + 1]
        best: FallCase | None = None
        for tid, box in zip(tracked[k].track_id.tolist(), tracked[k].xyxy, strict=True):
            rows = [f.xyxy[f.track_id == tid] for f in window]
            upright = [len(r) and (r[0, 2] - r[0, 0]) <= 0.65 * (r[0, 3] - r[0, 1]) for r in rows]
            height = float(box[3] - box[1])
            taller = best is None or height > float(best.box[3] - best.box[1])
            # Turning a square that also holds part of a neighbour would cut them into a
            # short, wide box: a synthesis artefact, so such cases are left out.
            alone = not any(
                _iou(_square(box), other) > 0
                for other in tracked[k].xyxy[tracked[k].track_id != tid]
            )
            if height >= min_height and np.mean(upright) >= 0.8 and taller and alone:
                best = FallCase(tracked[k].index, int(tid), box)
        if best is not None:
            cases.append(best)
    return cases


def synthetic_falls(
    video: Path, config: Config, tracked: list[TrackedFrame], args: argparse.Namespace
) -> dict[str, Any]:
    """Real frames up to the fall, then the fall frame frozen with the person turned lying.

    Everyone else stands still in the frozen frame, so any other finding is a false one.
    Real pixels, artificial pose and motion: a sanity check of the whole chain (detector,
    tracker, pose, fall logic), not a measurement of recall on real falls.
    """
    fps = _fps(video)
    cases = pick_fall_cases(tracked, fps, lead_s=3.0, gap_s=args.case_gap_s, min_height=60)
    starts = {c.at_index - round(3.0 * fps): c for c in cases}
    detector = create_detector(config.detector)
    camera = config.cameras[0]
    counts: Counter[str] = Counter()
    delays: list[float] = []
    buffer: list[Frame] = []
    active: FallCase | None = None
    for frame in read_frames(video, camera):
        if frame.index in starts:
            active, buffer = starts[frame.index], []
        if active is None:
            continue
        buffer.append(frame)
        if frame.index < active.at_index:
            continue
        made = turn_person(frame.image, active.box)
        if made is not None:
            counts["cases"] += 1
            _run_case(buffer, made, active, detector, config, fps, counts, delays)
        active = None
    return {
        **dict(counts),
        "median_s_from_fall_to_finding_pose": round(float(np.median(delays)), 2)
        if delays
        else None,
    }


def _run_case(
    frames: list[Frame],
    made: tuple[npt.NDArray[np.uint8], FloatArray],
    case: FallCase,
    detector: Detector,
    config: Config,
    fps: float,
    counts: Counter[str],
    delays: list[float],
) -> None:
    image, turned = made
    last = frames[-1]
    step = timedelta(seconds=1 / fps)
    frozen = [
        replace(last, image=image, index=last.index + k, captured_at=last.captured_at + k * step)
        for k in range(round(8.0 * fps))
    ]
    lying_detections = detector.detect([frozen[0]])[0]
    seen = max((_iou(turned[0], d) for d in lying_detections.xyxy), default=0.0) >= 0.3
    counts["detector_sees_lying_person"] += int(seen)
    tracker = create_tracker(config.tracker, fps)
    variants = {"box_only": FallDetector(), "pose": FallDetector(pose=PoseEstimator(threads=1))}
    for frame in frames[:-1] + frozen:
        detections = lying_detections if frame.index >= last.index else detector.detect([frame])[0]
        kept = filter_objects(detections, config.cameras[0].filters, frame.scale)
        elapsed_s = (frame.captured_at - last.captured_at).total_seconds()
        tracks = tracker.update(kept, last.stream_time_s + elapsed_s)
        for name, fall in variants.items():
            people = (
                frame.image,
                frame.captured_at,
                tracks.xyxy,
                tracks.track_id,
                tracks.confidence,
            )
            for finding in fall.update(*people):
                hit = _centre_inside(np.array(finding.region_xyxy, np.float32), turned[0])
                counts[f"{name}_{'found_fall' if hit else 'false_finding'}"] += 1
                if hit and name == "pose":
                    delays.append((finding.occurred_at - last.captured_at).total_seconds())


def pose_microbench(repeats: int = 50) -> dict[str, float]:
    """Median and p95 of single 256x256 MoveNet calls on one thread (after warm-up)."""
    estimator = PoseEstimator(threads=1)
    rgb = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    for _ in range(5):
        estimator.run(rgb)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        estimator.run(rgb)
        times.append(1000 * (time.perf_counter() - started))
    return {
        "median_ms": round(float(np.median(times)), 2),
        "p95_ms": round(float(np.percentile(times, 95)), 2),
        "repeats": repeats,
    }


def run_clip(
    name: str, video: Path, config: Config, args: argparse.Namespace, progress: Progress
) -> dict[str, Any]:
    tracked = track_clip(video, config, args.cache / f"{name}.pkl", progress)
    by_index = {t.index: t for t in tracked}
    estimator = TimedPose(PoseEstimator(threads=1))
    box_only = FallDetector(min_down_s=args.min_down_s)
    with_pose = FallDetector(
        min_down_s=args.min_down_s, pose=estimator, pose_interval_s=args.pose_interval_s
    )
    audit = PoseAudit(create_detector(config.detector), args.audit_interval)
    findings: dict[str, list[FallFinding]] = {"box_only": [], "pose": []}
    task = progress.add_task(f"falls {name}", total=len(tracked))
    for frame in read_frames(video, config.cameras[0]):
        step = by_index.get(frame.index)
        progress.advance(task)
        if step is None or len(step.track_id) == 0:
            continue
        people = (frame.image, frame.captured_at, step.xyxy, step.track_id, step.confidence)
        findings["box_only"] += box_only.update(*people)
        findings["pose"] += with_pose.update(*people)
        audit.observe(frame, step)
    crop_ms = np.array(estimator.crop_ms or [float("nan")])
    return {
        "video": str(video.relative_to(DATA)),
        "frames": len(tracked),
        "frames_with_people": sum(1 for t in tracked if len(t.track_id)),
        "person_tracks": len({int(i) for t in tracked for i in t.track_id}),
        "person_observations": sum(len(t.track_id) for t in tracked),
        "false_falls_box_only": len(findings["box_only"]),
        "false_falls_pose": len(findings["pose"]),
        "findings": {k: [_jsonable(f) for f in v] for k, v in findings.items()},
        "pose_crops_run_by_fall_detector": len(estimator.crop_ms),
        "pose_ms_per_crop_mean": round(float(np.mean(crop_ms)), 2),
        "pose_ms_per_crop_p95": round(float(np.percentile(crop_ms, 95)), 2),
        "audit_pose_posture_of_walkers": dict(audit.walkers),
        "audit_walkers_turned_90deg": dict(audit.turned),
        "synthetic_falls": synthetic_falls(video, config, tracked, args),
    }


def _jsonable(finding: FallFinding) -> dict[str, Any]:
    row = asdict(finding)
    row["occurred_at"] = finding.occurred_at.isoformat()
    row["down_since"] = finding.down_since.isoformat()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-down-s", type=float, default=3.0)
    parser.add_argument("--pose-interval-s", type=float, default=1.0)
    parser.add_argument("--audit-interval", type=float, default=1.0)
    parser.add_argument("--case-gap-s", type=float, default=4.0, help="synthetic fall spacing")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cctwin-fall-bench"))
    parser.add_argument("--clips", nargs="*", default=None, help="subset of clip names")
    args = parser.parse_args()
    setups = clip_setups()
    names = args.clips or list(setups)
    missing = [n for n in names if not setups[n][0].is_file()]
    if missing:
        raise SystemExit(f"clips not found under {DATA}: {missing} (../shared/data is absent)")
    result: dict[str, Any] = {
        "benchmark": "fall-false-alarms",
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "min_down_s": args.min_down_s,
        "pose_interval_s": args.pose_interval_s,
        "pose_one_thread_256": pose_microbench(),
    }
    with Progress(transient=True) as progress:
        for name in names:
            video, config = setups[name]
            result[name] = run_clip(name, video, config, args, progress)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
