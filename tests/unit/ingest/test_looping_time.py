"""A looping file keeps its frame time and numbering going, so tracking survives the loop."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.config import ByteTrackConfig, SamplingConfig, SourceConfig
from cctwin.ingest.pyav import PyAvSource
from cctwin.track.bytetrack import ByteTracker
from cctwin.types import Detections

FPS = 10
FRAMES = 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    box = MovingBox(
        start_centre=(40, 60), end_centre=(120, 60), size=(20, 40), colour_bgr=(0, 0, 255)
    )
    return write_synthetic_clip(
        tmp_path_factory.mktemp("loop") / "clip.mp4",
        width=160,
        height=120,
        fps=FPS,
        seconds=FRAMES / FPS,
        gop=FPS,
        moving_boxes=[box],
    )


def test_three_loops_give_increasing_times_and_indices(clip: Path) -> None:
    source = PyAvSource("cam", SourceConfig(url=str(clip), loop=True), SamplingConfig())
    frames = list(itertools.islice(source.frames(), 3 * FRAMES))
    source.close()
    times = [f.stream_time_s for f in frames]
    indices = [f.index for f in frames]
    captured = [f.captured_at for f in frames]
    assert len(frames) == 3 * FRAMES
    assert all(b > a for a, b in itertools.pairwise(times)), times
    assert indices == list(range(1, 3 * FRAMES + 1))
    assert all(b > a for a, b in itertools.pairwise(captured))
    # Across the loop point the step is about one frame, not a jump back to zero.
    step = times[FRAMES] - times[FRAMES - 1]
    assert 0.0 < step <= 2.0 / FPS


def test_tracker_keeps_tracking_after_a_loop(clip: Path) -> None:
    source = PyAvSource("cam", SourceConfig(url=str(clip), loop=True), SamplingConfig())
    tracker = ByteTracker(ByteTrackConfig(min_consecutive_frames=1), float(FPS))
    ids_per_loop: list[list[int]] = [[], [], []]
    with warnings.catch_warnings():
        # A timestamp going back would make the tracker warn and skip the frame.
        warnings.simplefilter("error")
        for n, frame in enumerate(itertools.islice(source.frames(), 3 * FRAMES)):
            x = 10.0 + 5.0 * (n % FRAMES)
            person = Detections(
                xyxy=np.array([[x, 20.0, x + 20.0, 60.0]], dtype=np.float32),
                confidence=np.array([0.9], dtype=np.float32),
                class_id=np.array([0], dtype=np.int32),
            )
            tracked = tracker.update(person, frame.stream_time_s)
            ids_per_loop[n // FRAMES].extend(int(t) for t in tracked.track_id if t >= 0)
    source.close()
    for loop, ids in enumerate(ids_per_loop):
        assert len(ids) >= FRAMES - 3, f"loop {loop}: tracked in only {len(ids)} frames"
