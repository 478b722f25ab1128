"""`cctwin analyze`: one source through detect -> track -> analytics into files on disk."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cctwin.analytics.stages import StageClock
from cctwin.config import CameraConfig, Config, SamplingConfig, SamplingMode, SourceConfig
from cctwin.detect.detector import Detector, create_detector
from cctwin.evaluate.mot import write_mot_rows
from cctwin.ingest.pyav import PyAvSource
from cctwin.pipeline import CameraPipeline
from cctwin.records import event_record, observation_record
from cctwin.types import Frame

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class StreamInfo:
    """What a probe of the source told us before analysis starts."""

    width: int
    height: int
    fps: float
    frames: int | None


def probe(url: str, source: SourceConfig) -> StreamInfo:
    """Open the source once: fails fast (SourceError) on a missing file or unreachable URL."""
    reader = PyAvSource("probe", source, SamplingConfig(), url=url)
    container = reader.open_container()
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        frames = int(stream.frames) if stream.frames else None
        return StreamInfo(stream.codec_context.width, stream.codec_context.height, fps, frames)
    finally:
        container.close()


def camera_for(config: Config, source: str, camera_id: str | None) -> CameraConfig:
    """The camera whose analytics apply: named, the only one, or the one with this URL."""
    if camera_id is not None:
        for camera in config.cameras:
            if camera.id == camera_id:
                return camera
        raise KeyError(camera_id)
    matching = [c for c in config.cameras if c.source.url == source]
    if matching:
        return matching[0]
    if len(config.cameras) == 1:
        return config.cameras[0]
    name = Path(source).stem or "camera"
    safe = "".join(ch if ch.isalnum() or ch in "_.-" else "-" for ch in name)[:64] or "camera"
    return CameraConfig(id=safe, source=SourceConfig(url=source))


def _batches(frames: Iterator[Frame], size: int) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def analyze_source(
    source: str,
    out_dir: Path,
    config: Config,
    camera: CameraConfig,
    sampling: SamplingConfig,
    detector: Detector | None = None,
    on_progress: ProgressCallback | None = None,
    info: StreamInfo | None = None,
) -> dict[str, Any]:
    """Analyse a whole file (or a live stream until it stops); returns the summary written."""
    info = info or probe(source, camera.source)
    analysed_fps = _analysed_rate(info.fps, sampling)
    clock = StageClock()
    reader = PyAvSource(camera.id, camera.source, sampling, url=source)
    started_load = time.perf_counter()
    detector = detector or create_detector(config.detector)
    model_load_s = time.perf_counter() - started_load
    pipeline = CameraPipeline(camera, config.tracker, analysed_fps, clock)
    out_dir.mkdir(parents=True, exist_ok=True)
    event_counts: Counter[str] = Counter()
    track_ids: set[int] = set()
    analysed = 0
    started = time.perf_counter()
    frames = _timed(reader.frames(), clock)
    with (
        (out_dir / "tracks.txt").open("w", encoding="utf-8") as tracks_file,
        (out_dir / "detections.txt").open("w", encoding="utf-8") as detections_file,
        (out_dir / "events.jsonl").open("w", encoding="utf-8") as events_file,
        (out_dir / "observations.jsonl").open("w", encoding="utf-8") as observations_file,
    ):
        for batch in _batches(frames, config.detector.batch_size):
            detect_started = time.perf_counter()
            batch_detections = detector.detect(batch)
            clock.add("detect", time.perf_counter() - detect_started, len(batch))
            for frame, detections in zip(batch, batch_detections, strict=True):
                reader.stats.add("analysed")
                analysed += 1
                step = pipeline.step(frame, detections)
                write_mot_rows(detections_file, frame.index, detections.scaled(frame.scale))
                write_mot_rows(tracks_file, frame.index, step.tracks.scaled(frame.scale))
                track_ids.update(step.tracks.track_id.tolist())
                for event in step.analysis.events:
                    events_file.write(json.dumps(event_record(event), ensure_ascii=False) + "\n")
                    event_counts[event.kind.value] += 1
                for observation in step.analysis.observations:
                    observations_file.write(json.dumps(observation_record(observation)) + "\n")
                if on_progress is not None:
                    on_progress(frame.index)
    elapsed = time.perf_counter() - started
    stats = reader.stats.as_dict()
    summary: dict[str, Any] = {
        "source": source,
        "camera_id": camera.id,
        "width": info.width,
        "height": info.height,
        "source_fps": round(info.fps, 3),
        "sampling": sampling.model_dump(mode="json"),
        "frames_decoded": stats["decoded"],
        "frames_analysed": analysed,
        "frames_corrupt": stats["corrupt"],
        "frames_dropped": stats["dropped"],
        "reconnects": stats["reconnects"],
        "wall_s": round(elapsed, 3),
        "fps": round(analysed / elapsed, 3) if elapsed else 0.0,
        "ms_per_frame": clock.ms_per_frame(analysed),
        "model_load_s": round(model_load_s, 3),
        "tracks": len(track_ids),
        "events": dict(sorted(event_counts.items())),
        "detector": config.detector.model_dump(mode="json"),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _analysed_rate(source_fps: float, sampling: SamplingConfig) -> float:
    if sampling.mode is SamplingMode.EVERY:
        return source_fps / sampling.every
    if sampling.mode is SamplingMode.FPS:
        return min(source_fps, sampling.fps)
    if sampling.mode is SamplingMode.KEYFRAMES:
        # The GOP is unknown before decoding; 1 s is the common CCTV setting. The tracker is
        # fed frame times, so this only scales its motion noise, not its clock.
        return 1.0
    return source_fps


def _timed(frames: Iterator[Frame], clock: StageClock) -> Iterator[Frame]:
    """Charge the time spent producing each frame (demux, decode, convert) to 'decode'."""
    while True:
        started = time.perf_counter()
        try:
            frame = next(frames)
        except StopIteration:
            return
        clock.add("decode", time.perf_counter() - started)
        yield frame
