"""One `bench streams` trial end to end: RTSP cameras, worker processes, motion-gated detection."""

from pathlib import Path

import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.bench.rtsp_server import RtspLoopServer, is_gstreamer_rtsp_available
from cctwin.bench.streams import Levers, bench_config, run_trial

pytestmark = pytest.mark.rtsp

FPS = 25


@pytest.fixture(autouse=True)
def require_gstreamer_rtsp() -> None:
    if not is_gstreamer_rtsp_available():
        pytest.skip(
            "GStreamer RTSP server not importable by /usr/bin/python3: "
            "run scripts/install-system-packages.sh"
        )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s: a box crosses in the first 2 s, then the scene is still for 6 s."""
    path = tmp_path_factory.mktemp("clips") / "mostly_still.mp4"
    box = MovingBox((60, 180), (580, 180), (60, 120), (0, 0, 255), last_frame=2 * FPS)
    return write_synthetic_clip(
        path, width=640, height=360, fps=FPS, seconds=8, gop=FPS, moving_boxes=[box]
    )


@pytest.mark.parametrize("motion", [False, True])
def test_a_trial_analyses_every_camera_and_the_gate_skips_still_keyframes(
    clip: Path, motion: bool
) -> None:
    with RtspLoopServer({"cam1": clip, "cam2": clip}) as server:
        urls = [(server.url(m), server.url(m)) for m in ("cam1", "cam2")]
        result = run_trial(
            urls, "keyframes", 1.0, bench_config(4, 1), 6.0, 1, False, Levers(motion=motion)
        )
    assert result.frames_analysed >= 2 * 4
    assert result.min_camera_fps > 0.5
    if motion:
        # Still for 6 of every 8 keyframes, less the detector's forced runs.
        assert 0.3 < result.detect_skipped < 0.9
    else:
        assert result.detect_skipped == 0.0
