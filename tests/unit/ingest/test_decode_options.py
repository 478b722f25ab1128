from pathlib import Path

import numpy as np
import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.config import SamplingConfig, SamplingMode, SourceConfig
from cctwin.ingest.pyav import PyAvSource


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "blocky.mp4"
    box = MovingBox((40, 90), (280, 90), (40, 60), (30, 30, 220))
    # A low bitrate makes block edges that the deblocking filter has to smooth.
    return write_synthetic_clip(
        path, width=320, height=180, fps=10, seconds=3, gop=10, moving_boxes=[box], bitrate=60_000
    )


def keyframes(
    clip: Path, skip_loop_filter: bool, mode: SamplingMode = SamplingMode.KEYFRAMES
) -> list[np.ndarray]:
    source = SourceConfig(url=str(clip), skip_loop_filter=skip_loop_filter)
    reader = PyAvSource("cam", source, SamplingConfig(mode=mode))
    return [frame.image.astype(np.int16) for frame in reader.frames()]


def test_skipping_the_loop_filter_changes_pixels_only_slightly(clip: Path) -> None:
    filtered = keyframes(clip, skip_loop_filter=False)
    unfiltered = keyframes(clip, skip_loop_filter=True)
    assert len(filtered) == len(unfiltered) == 3
    differences = [float(np.abs(a - b).mean()) for a, b in zip(filtered, unfiltered, strict=True)]
    assert max(differences) > 0  # the option reached the decoder
    assert max(differences) < 3.0


def test_the_loop_filter_stays_on_when_p_frames_are_decoded(clip: Path) -> None:
    # P-frames predict from deblocked pictures: skipping the filter there would drift.
    filtered = keyframes(clip, skip_loop_filter=False, mode=SamplingMode.ALL)
    unfiltered = keyframes(clip, skip_loop_filter=True, mode=SamplingMode.ALL)
    assert len(filtered) == 30
    assert all(np.array_equal(a, b) for a, b in zip(filtered, unfiltered, strict=True))
