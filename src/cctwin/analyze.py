"""`cctwin analyze`: one source through detect -> track -> analytics into files on disk."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from cctwin.analytics.stages import StageClock
from cctwin.config import CameraConfig, Config, SamplingConfig, SourceConfig
from cctwin.detect.detector import Detector, create_detector
from cctwin.evaluate.mot import write_mot_rows
from cctwin.ingest.factory import open_source
from cctwin.ingest.pyav import PyAvSource
from cctwin.loop import AnalysisLoop, CameraRuntime, IteratorFeed
from cctwin.pipeline import StepResult

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


class FileSink:
    """`cctwin analyze`'s sink: MOT rows of detections and tracks, events and observations
    as JSON lines of their wire models, and the counts for the summary.

    tracks.txt holds whole tracks: when the tracker confirms a track, the boxes it had in the
    frames before (which the live service never reports) are written too, under their own
    frame numbers, so rows are in frame order only within each write.
    """

    # Frames remembered for placing earlier boxes: far more than a track waits to be confirmed.
    REMEMBERED_FRAMES = 4096

    def __init__(self, out_dir: Path, on_progress: ProgressCallback | None) -> None:
        self.on_progress = on_progress
        self.event_counts: Counter[str] = Counter()
        self.track_ids: set[int] = set()
        self.analysed = 0
        self.earlier_rows = 0
        # Frame index and scale by stream time, for boxes the tracker hands back later.
        self._frames: dict[float, tuple[int, float]] = {}
        self._stack = ExitStack()
        self.tracks = self._open(out_dir / "tracks.txt")
        self.detections = self._open(out_dir / "detections.txt")
        self.events = self._open(out_dir / "events.jsonl")
        self.observations = self._open(out_dir / "observations.jsonl")

    def _open(self, path: Path) -> TextIO:
        return self._stack.enter_context(path.open("w", encoding="utf-8"))

    def on_step(self, runtime: CameraRuntime, step: StepResult) -> None:
        frame = step.frame
        self.analysed += 1
        write_mot_rows(self.detections, frame.index, step.detections.scaled(frame.scale))
        write_mot_rows(self.tracks, frame.index, step.tracks.scaled(frame.scale))
        self._remember(frame.stream_time_s, frame.index, frame.scale)
        for earlier in step.earlier:
            seen = self._frames.get(earlier.frame_time_s)
            if seen is not None:
                write_mot_rows(self.tracks, seen[0], earlier.tracks.scaled(seen[1]))
                self.earlier_rows += len(earlier.tracks)
        self.track_ids.update(step.tracks.track_id.tolist())
        for event in step.analysis.events:
            self.events.write(event.model_dump_json() + "\n")
            self.event_counts[event.kind.value] += 1
        for observation in step.analysis.observations:
            self.observations.write(observation.model_dump_json() + "\n")
        if self.on_progress is not None:
            self.on_progress(frame.index)

    def _remember(self, stream_time_s: float, index: int, scale: float) -> None:
        self._frames[stream_time_s] = (index, scale)
        if len(self._frames) > self.REMEMBERED_FRAMES:
            del self._frames[next(iter(self._frames))]

    def on_tick(self, runtimes: Sequence[CameraRuntime], now: float) -> None:
        return None

    def close(self) -> None:
        self._stack.close()


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
    clock = StageClock()
    reader = open_source(camera, sampling, url=source)
    started_load = time.perf_counter()
    detector = detector or create_detector(config.detector)
    model_load_s = time.perf_counter() - started_load
    out_dir.mkdir(parents=True, exist_ok=True)
    sink = FileSink(out_dir, on_progress)
    loop = AnalysisLoop([camera], config, detector, [sink], clock)
    loop.runtimes[camera.id].stats = reader.stats
    started = time.perf_counter()
    try:
        loop.run(IteratorFeed(reader, clock), lambda: False)
    finally:
        sink.close()
    elapsed = time.perf_counter() - started
    stats = reader.stats.as_dict()
    analysed = sink.analysed
    summary: dict[str, Any] = {
        "source": source,
        "camera_id": camera.id,
        "width": info.width,
        "height": info.height,
        "source_fps": round(info.fps, 3),
        "analysed_fps": round(loop.runtimes[camera.id].analysed_fps or 0.0, 3),
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
        "tracks": len(sink.track_ids),
        "track_rows_before_confirmation": sink.earlier_rows,
        "events": dict(sorted(sink.event_counts.items())),
        "detector": config.detector.model_dump(mode="json"),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
