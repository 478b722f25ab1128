"""H.264 MP4 clips for the RTSP bench: synthetic scenes and re-encoded real footage."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from av.video.frame import PictureType
from av.video.stream import VideoStream

BgrImage = npt.NDArray[np.uint8]

# Small, fast presets keep clip generation cheap; quality is irrelevant for bench footage.
_X264_PRESET = "veryfast"


@dataclass(frozen=True)
class MovingBox:
    """A solid rectangle moving linearly from one centre to another between two frames.

    Coordinates are pixels in the output frame; ``size`` is (width, height) and
    ``colour_bgr`` is (blue, green, red). ``last_frame`` None means the last frame of the clip.
    """

    start_centre: tuple[float, float]
    end_centre: tuple[float, float]
    size: tuple[int, int]
    colour_bgr: tuple[int, int, int]
    first_frame: int = 0
    last_frame: int | None = None

    def is_visible(self, frame_index: int, clip_last_frame: int) -> bool:
        last = clip_last_frame if self.last_frame is None else self.last_frame
        return self.first_frame <= frame_index <= last

    def centre_at(self, frame_index: int, clip_last_frame: int) -> tuple[float, float]:
        last = clip_last_frame if self.last_frame is None else self.last_frame
        span = last - self.first_frame
        progress = 0.0 if span <= 0 else (frame_index - self.first_frame) / span
        progress = min(max(progress, 0.0), 1.0)
        start_x, start_y = self.start_centre
        end_x, end_y = self.end_centre
        return start_x + (end_x - start_x) * progress, start_y + (end_y - start_y) * progress


def write_synthetic_clip(
    path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    seconds: float,
    gop: int,
    moving_boxes: Sequence[MovingBox] = (),
    bitrate: int | None = None,
    seed: int = 0,
    noise_amplitude: int = 6,
) -> Path:
    """Encode ``round(fps * seconds)`` frames of boxes moving over a textured, noisy background.

    Everything (texture and per-frame sensor-like noise) derives from ``seed``, so the same
    arguments always give the same pixels before encoding.
    """
    frame_count = round(fps * seconds)
    rng = np.random.default_rng(seed)
    background = _textured_background(width, height, rng)
    with av.open(str(path), mode="w") as container:
        stream = _add_h264_stream(
            container, width=width, height=height, fps=fps, gop=gop, bitrate=bitrate
        )
        for frame_index in range(frame_count):
            image = background.copy()
            for box in moving_boxes:
                if box.is_visible(frame_index, frame_count - 1):
                    _draw_box(image, box, box.centre_at(frame_index, frame_count - 1))
            if noise_amplitude > 0:
                # Luma-only noise keeps the encoder busy like a real sensor without random colour.
                noise = rng.integers(-noise_amplitude, noise_amplitude + 1, size=(height, width, 1))
                image = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            _encode(container, stream, frame.reformat(format="yuv420p"), frame_index, fps)
        container.mux(stream.encode(None))
    return path


def transcode_clip(
    source: Path,
    path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    gop: int,
    max_seconds: float | None = None,
    bitrate: int | None = None,
) -> Path:
    """Re-encode the first video stream of ``source`` to an H.264 MP4 without B-frames.

    Frames are resized (aspect not preserved) and duplicated or dropped so that output frame
    ``k`` shows the source frame on screen at time ``k / fps``.
    """
    max_frames = None if max_seconds is None else round(max_seconds * fps)
    with av.open(str(source)) as source_container, av.open(str(path), mode="w") as container:
        source_stream = source_container.streams.video[0]
        stream = _add_h264_stream(
            container, width=width, height=height, fps=fps, gop=gop, bitrate=bitrate
        )
        output_index = 0
        shown: av.VideoFrame | None = None
        shown_until = Fraction(0)
        for frame, start, end in _timed_frames(source_container, source_stream):
            # Output frames whose time falls before this source frame still show the previous one.
            while shown is not None and Fraction(output_index, fps) < start:
                if max_frames is not None and output_index >= max_frames:
                    break
                _encode(container, stream, shown, output_index, fps)
                output_index += 1
            if max_frames is not None and output_index >= max_frames:
                break
            shown = frame.reformat(width=width, height=height, format="yuv420p")
            # libx264 turns a frame marked I into an IDR, which would break the fixed GOP.
            shown.pict_type = PictureType.NONE
            shown_until = end
        # The last source frame stays on screen until its own end time.
        while shown is not None and Fraction(output_index, fps) < shown_until:
            if max_frames is not None and output_index >= max_frames:
                break
            _encode(container, stream, shown, output_index, fps)
            output_index += 1
        container.mux(stream.encode(None))
    return path


def _timed_frames(
    container: av.container.InputContainer, stream: VideoStream
) -> Iterator[tuple[av.VideoFrame, Fraction, Fraction]]:
    """Yield each decoded frame with its start and end time in seconds, the first starting at 0."""
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    frame_duration = 1 / Fraction(rate)
    origin: Fraction | None = None
    for decoded_index, frame in enumerate(container.decode(stream)):
        if frame.pts is not None and frame.time_base is not None:
            start = frame.pts * Fraction(frame.time_base)
        else:
            # Some AVI demuxers give no timestamps; assume a constant frame rate.
            start = decoded_index * frame_duration
        if origin is None:
            origin = start
        yield frame, start - origin, start - origin + frame_duration


def _add_h264_stream(
    container: av.container.OutputContainer,
    *,
    width: int,
    height: int,
    fps: int,
    gop: int,
    bitrate: int | None,
) -> VideoStream:
    # keyint=min-keyint with scenecut=0 puts an IDR exactly every `gop` frames, and bframes=0
    # keeps decode order = display order so the RTSP server can replay access units as they are.
    x264_params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"
    options = {"preset": _X264_PRESET, "profile": "main", "x264-params": x264_params, "bf": "0"}
    stream = container.add_stream("libx264", rate=fps, options=options)
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, fps)
    stream.codec_context.gop_size = gop
    stream.codec_context.max_b_frames = 0
    # PyAV defaults to slice threading, which makes x264 cut every frame into several slices;
    # FFmpeg's RTP depacketiser then emits one IDR as two packets. Frame threads give one slice.
    stream.codec_context.thread_type = "FRAME"
    if bitrate is not None:
        stream.bit_rate = bitrate
    return stream


def _encode(
    container: av.container.OutputContainer,
    stream: VideoStream,
    frame: av.VideoFrame,
    frame_index: int,
    fps: int,
) -> None:
    # The encoder takes its own reference to the frame, so re-stamping a reused frame is safe.
    frame.pts = frame_index
    frame.time_base = Fraction(1, fps)
    container.mux(stream.encode(frame))


def _textured_background(width: int, height: int, rng: np.random.Generator) -> BgrImage:
    """A street-like backdrop: colour gradient plus blocky texture, so motion search has detail."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    gradient = np.stack(
        [
            60 + 60 * xs / max(width, 1),
            70 + 50 * ys / max(height, 1),
            90 + 30 * (xs + ys) / max(width + height, 1),
        ],
        axis=-1,
    )
    block = 16
    coarse = rng.integers(-40, 41, size=(-(-height // block), -(-width // block), 1))
    texture = np.repeat(np.repeat(coarse, block, axis=0), block, axis=1)[:height, :width]
    return np.clip(gradient + texture, 0, 255).astype(np.uint8)


def _draw_box(image: BgrImage, box: MovingBox, centre: tuple[float, float]) -> None:
    height, width = image.shape[:2]
    box_width, box_height = box.size
    left = max(round(centre[0] - box_width / 2), 0)
    top = max(round(centre[1] - box_height / 2), 0)
    right = min(round(centre[0] + box_width / 2), width)
    bottom = min(round(centre[1] + box_height / 2), height)
    if left < right and top < bottom:
        image[top:bottom, left:right] = box.colour_bgr
