"""Generated and transcoded bench clips have the frame count, GOP and content asked for."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from cctwin.bench.clips import MovingBox, transcode_clip, write_synthetic_clip

I_FRAME = av.video.frame.PictureType.I
P_FRAME = av.video.frame.PictureType.P


def decode_all(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def assert_ip_only_with_fixed_gop(frames: list[av.VideoFrame], gop: int) -> None:
    assert {frame.pict_type for frame in frames} <= {I_FRAME, P_FRAME}
    keyframes = [index for index, frame in enumerate(frames) if frame.key_frame]
    assert keyframes == list(range(0, len(frames), gop))
    intra = [index for index, frame in enumerate(frames) if frame.pict_type == I_FRAME]
    assert intra == keyframes


def test_synthetic_clip_has_requested_frames_size_and_gop(tmp_path: Path) -> None:
    path = write_synthetic_clip(
        tmp_path / "clip.mp4", width=320, height=180, fps=25, seconds=2.0, gop=10
    )

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.average_rate == 25
        frames = list(container.decode(stream))
    assert len(frames) == 50
    assert {(frame.width, frame.height) for frame in frames} == {(320, 180)}
    assert {frame.format.name for frame in frames} == {"yuv420p"}
    assert_ip_only_with_fixed_gop(frames, gop=10)
    # Frame k is presented at k / fps.
    assert [frame.time for frame in frames[:3]] == pytest.approx([0.0, 0.04, 0.08])


def test_moving_box_colour_appears_at_its_interpolated_centre(tmp_path: Path) -> None:
    red_box = MovingBox(
        start_centre=(60, 60), end_centre=(260, 120), size=(40, 30), colour_bgr=(0, 0, 255)
    )
    green_box = MovingBox(
        start_centre=(280, 150),
        end_centre=(40, 150),
        size=(30, 30),
        colour_bgr=(0, 255, 0),
        first_frame=5,
        last_frame=35,
    )
    path = write_synthetic_clip(
        tmp_path / "boxes.mp4",
        width=320,
        height=180,
        fps=20,
        seconds=2.0,
        gop=20,
        moving_boxes=[red_box, green_box],
    )
    frames = decode_all(path)
    middle = 20
    image = frames[middle].to_ndarray(format="bgr24")

    for box in (red_box, green_box):
        centre_x, centre_y = box.centre_at(middle, clip_last_frame=len(frames) - 1)
        window = image[
            round(centre_y) - 4 : round(centre_y) + 5, round(centre_x) - 4 : round(centre_x) + 5
        ]
        mean_bgr = window.reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(mean_bgr, box.colour_bgr, atol=30)

    # The green box is gone after its last frame: its final centre shows background again.
    last_image = frames[-1].to_ndarray(format="bgr24")
    end_x, end_y = green_box.end_centre
    assert last_image[round(end_y), round(end_x), 1] < 200


def test_synthetic_background_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    def first_frame(name: str, seed: int) -> np.ndarray:
        path = write_synthetic_clip(
            tmp_path / name, width=160, height=96, fps=10, seconds=0.2, gop=2, seed=seed
        )
        return decode_all(path)[0].to_ndarray(format="bgr24")

    same_a, same_b = first_frame("a.mp4", seed=7), first_frame("b.mp4", seed=7)
    other = first_frame("c.mp4", seed=8)
    assert np.array_equal(same_a, same_b)
    assert not np.array_equal(same_a, other)


@pytest.fixture
def avi_10fps(tmp_path: Path) -> Path:
    """Three seconds of 768x576 10-fps MPEG-4 AVI whose grey level encodes the frame index."""
    path = tmp_path / "source.avi"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        for index in range(30):
            image = np.full((576, 768, 3), 20 + index * 7, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_transcode_resamples_to_target_fps_size_and_gop(avi_10fps: Path, tmp_path: Path) -> None:
    path = transcode_clip(avi_10fps, tmp_path / "sub.mp4", width=640, height=360, fps=25, gop=25)

    frames = decode_all(path)
    assert len(frames) == 75
    assert {(frame.width, frame.height) for frame in frames} == {(640, 360)}
    assert_ip_only_with_fixed_gop(frames, gop=25)
    # 25 fps from 10 fps repeats source frames 3, 2, 3, 2, ... times, never out of order.
    levels = [round(float(frame.to_ndarray(format="gray").mean())) for frame in frames]
    assert levels == sorted(levels)
    run_lengths = np.diff(np.flatnonzero(np.diff(levels)))
    assert set(run_lengths.tolist()) <= {2, 3}


def test_transcode_stops_at_max_seconds(avi_10fps: Path, tmp_path: Path) -> None:
    path = transcode_clip(
        avi_10fps, tmp_path / "main.mp4", width=1280, height=720, fps=25, gop=25, max_seconds=1.2
    )
    frames = decode_all(path)
    assert len(frames) == 30
    assert (frames[0].width, frames[0].height) == (1280, 720)
