"""A real GStreamer RTSP server loops generated clips to PyAV clients and survives restarts."""

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.bench.rtsp_server import (
    RtspLoopServer,
    RtspServerError,
    is_gstreamer_rtsp_available,
)

pytestmark = pytest.mark.rtsp

CLIP_FPS = 25
CLIP_SECONDS = 4
CLIP_FRAMES = CLIP_FPS * CLIP_SECONDS
WIDTH, HEIGHT = 640, 360
# PyAV gives up on a silent connection after this long instead of hanging the test.
CLIENT_TIMEOUT_S = 10


@pytest.fixture(autouse=True)
def require_gstreamer_rtsp() -> None:
    if not is_gstreamer_rtsp_available():
        pytest.skip(
            "GStreamer RTSP server not importable by /usr/bin/python3: "
            "run scripts/install-system-packages.sh"
        )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "street_640x360.mp4"
    box = MovingBox(
        start_centre=(80, 80), end_centre=(560, 280), size=(60, 40), colour_bgr=(0, 0, 255)
    )
    return write_synthetic_clip(
        path,
        width=WIDTH,
        height=HEIGHT,
        fps=CLIP_FPS,
        seconds=CLIP_SECONDS,
        gop=CLIP_FPS,
        moving_boxes=[box],
    )


@pytest.fixture
def server(clip: Path) -> Iterator[RtspLoopServer]:
    with RtspLoopServer({"cam1": clip, "cam2": clip}) as running:
        yield running


def open_tcp(url: str) -> av.container.InputContainer:
    return av.open(url, options={"rtsp_transport": "tcp"}, timeout=CLIENT_TIMEOUT_S)


def read_frames(url: str, count: int) -> list[av.VideoFrame]:
    frames: list[av.VideoFrame] = []
    with open_tcp(url) as container:
        for frame in container.decode(video=0):
            frames.append(frame)
            if len(frames) == count:
                break
    return frames


def test_loop_plays_past_the_end_of_the_clip_with_increasing_pts(
    server: RtspLoopServer,
) -> None:
    frame_count = CLIP_FRAMES + 50
    frames = read_frames(server.url("cam1"), frame_count)

    assert len(frames) == frame_count
    assert {(frame.width, frame.height) for frame in frames} == {(WIDTH, HEIGHT)}
    # FFmpeg's RTP demuxer cannot stamp the very first packet (no timestamp reference yet).
    pts = [frame.pts for frame in frames[1:] if frame.pts is not None]
    assert len(pts) == frame_count - 1
    gaps = {later - earlier for earlier, later in itertools.pairwise(pts)}
    # Strictly increasing across the loop point, at the clip's cadence (90 kHz RTP clock).
    assert gaps == {90_000 // CLIP_FPS}

    other_mount = read_frames(server.url("cam2"), 5)
    assert {(frame.width, frame.height) for frame in other_mount} == {(WIDTH, HEIGHT)}


def test_client_sees_a_killed_server_and_reconnects_after_restart(
    server: RtspLoopServer,
) -> None:
    url = server.url("cam1")
    port = server.port
    frames_read = 0
    failure: av.error.FFmpegError | None = None
    try:
        with open_tcp(url) as container:
            for _frame in container.decode(video=0):
                frames_read += 1
                if frames_read == 10:
                    server.kill()
                if frames_read > 10 + CLIP_FRAMES:
                    break
    except av.error.FFmpegError as error:
        failure = error
    # Frames already buffered client-side may drain, but then the stream must end or fail.
    assert frames_read <= 10 + CLIP_FRAMES, f"still streaming after kill ({failure=})"
    assert server.pid is None

    server.start()
    assert server.port == port
    frames = read_frames(server.url("cam1"), 30)
    assert len(frames) == 30
    assert (frames[-1].width, frames[-1].height) == (WIDTH, HEIGHT)


def test_unreadable_clip_fails_start_with_the_server_reason(tmp_path: Path) -> None:
    not_a_video = tmp_path / "broken.mp4"
    not_a_video.write_bytes(b"this is not an mp4 file")
    server = RtspLoopServer({"cam1": not_a_video})

    with pytest.raises(RtspServerError, match="cannot demux"):
        server.start(timeout_s=10)
    assert server.pid is None


def test_busy_port_fails_start_clearly(clip: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server = RtspLoopServer({"cam1": clip}, port=squatter.getsockname()[1])
        with pytest.raises(RtspServerError, match="cannot listen"):
            server.start(timeout_s=10)


def test_mount_can_be_watched_again_after_its_last_client_left(server: RtspLoopServer) -> None:
    for _viewing in range(2):
        frames = read_frames(server.url("cam2"), 3)
        assert len(frames) == 3
