"""Masked event clips: decode the camera's MP4, mask every frame, re-encode H.264 with PyAV."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from cctwin.privacy.masker import Masker

Image = npt.NDArray[np.uint8]

# Detections are refreshed every few frames and reused in between, grown a little to follow
# motion: people move a few pixels per frame, a face detector pass costs 100+ ms.
DETECT_EVERY = 3


def mask_clip(mp4: bytes, masker: Masker, detect_every: int = DETECT_EVERY) -> bytes:
    """The clip with faces, heads and plates masked in every frame (H.264 in MP4, no audio)."""
    from cctwin.privacy.masker import draw_masks

    rects = np.zeros((0, 4), np.int32)

    def masked(index: int, image: Image) -> Image:
        nonlocal rects
        if index % detect_every == 0:
            rects = _grown(masker.regions(image), image.shape[1], image.shape[0])
        return draw_masks(image, rects, masker.settings.style, masker.settings.blocks)

    return reencode(mp4, masked)


def reencode(mp4: bytes, change: Callable[[int, Image], Image]) -> bytes:
    """The clip's frames through `change` (frame index, BGR image), re-encoded as H.264 in
    MP4 at the clip's rate, no audio."""
    import av

    source: Any = av.open(io.BytesIO(mp4), "r")
    out = io.BytesIO()
    try:
        video = source.streams.video[0]
        rate = video.average_rate or Fraction(25, 1)
        with av.open(out, "w", format="mp4") as sink:
            stream: Any = sink.add_stream("libx264", rate=rate)
            stream.width, stream.height = video.codec_context.width, video.codec_context.height
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "23"}
            for index, frame in enumerate(source.decode(video)):
                image = np.ascontiguousarray(frame.to_ndarray(format="bgr24"))
                out_frame = av.VideoFrame.from_ndarray(change(index, image), format="bgr24")
                for packet in stream.encode(out_frame):
                    sink.mux(packet)
            for packet in stream.encode(None):
                sink.mux(packet)
    finally:
        source.close()
    return out.getvalue()


def _grown(rects: np.ndarray[Any, Any], width: int, height: int) -> np.ndarray[Any, Any]:
    """Rectangles widened by 15% each side, for the frames until the next detection."""
    from cctwin.privacy.regions import clip_boxes, pad_boxes

    return clip_boxes(pad_boxes(rects.astype(np.float32), 0.15), width, height)
