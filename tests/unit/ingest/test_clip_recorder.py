import io
from pathlib import Path

import av
import pytest

from cctwin.bench.clips import write_synthetic_clip
from cctwin.config import SamplingConfig, SourceConfig
from cctwin.ingest.clips import ClipRecorder
from cctwin.ingest.pyav import PyAvSource


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "src.mp4"
    return write_synthetic_clip(path, width=320, height=180, fps=10, seconds=8, gop=10)


def record(clip: Path, recorder: ClipRecorder, events: dict[int, str]) -> None:
    source = PyAvSource("cam", SourceConfig(url=str(clip)), SamplingConfig())
    source.packet_listener = recorder.on_packet
    for frame in source.frames():
        if frame.index in events:
            recorder.request(events[frame.index], frame.stream_time_s)


def test_a_clip_spans_pre_and_post_roll_from_a_keyframe_without_reencoding(clip: Path) -> None:
    recorder = ClipRecorder(pre_roll_s=2.0, post_roll_s=2.0)
    record(clip, recorder, {40: "e1"})  # frame 40 is at 3.9 s
    ready = recorder.take_ready()
    assert [event for event, _ in ready] == ["e1"]
    container = av.open(io.BytesIO(ready[0][1]))
    stream = container.streams.video[0]
    frames = list(container.decode(stream))
    # The pre-roll starts at the keyframe at or before 1.9 s (1.0 s); the clip runs to 5.9 s.
    assert len(frames) == 50
    assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
    assert frames[0].key_frame
    assert stream.codec_context.name == "h264"
    assert recorder.take_ready() == []


def test_clips_near_the_end_of_the_stream_are_not_reported(clip: Path) -> None:
    recorder = ClipRecorder(pre_roll_s=1.0, post_roll_s=5.0)
    record(clip, recorder, {75: "late"})  # 7.4 s + 5 s runs past the 8 s clip
    assert recorder.take_ready() == []


def test_too_many_clips_at_once_are_skipped_and_counted(clip: Path) -> None:
    recorder = ClipRecorder(pre_roll_s=1.0, post_roll_s=1.0, max_pending=1)
    record(clip, recorder, {20: "a", 21: "b", 50: "c"})
    assert [event for event, _ in recorder.take_ready()] == ["a", "c"]
    assert recorder.skipped == 1
