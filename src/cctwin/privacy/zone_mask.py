"""Black out what lies outside a caller's zones: live frames, snapshots and clips of a camera."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

ImagePolygon = Sequence[tuple[float, float]]
Image = npt.NDArray[np.uint8]


def black_outside(image: Image, region: Sequence[ImagePolygon]) -> Image:
    """A copy of the BGR image with every pixel outside the normalised polygons set to black."""
    import cv2

    height, width = image.shape[:2]
    keep = np.zeros((height, width), np.uint8)
    scale = np.array([width, height], np.float64)
    polygons = [np.round(np.asarray(p, np.float64) * scale).astype(np.int32) for p in region]
    if polygons:
        cv2.fillPoly(keep, polygons, 255)
    out: Image = np.asarray(cv2.bitwise_and(image, image, mask=keep), np.uint8)
    return out


def jpeg_outside_blacked(jpeg: bytes, region: Sequence[ImagePolygon], quality: int = 85) -> bytes:
    """The JPEG with what lies outside the region blacked out (ValueError if it does not decode)."""
    import cv2

    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("not a JPEG image")
    image: Image = np.asarray(decoded, np.uint8)
    ok, encoded = cv2.imencode(
        ".jpg", black_outside(image, region), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("could not encode the masked image")
    return bytes(encoded.tobytes())


def clip_outside_blacked(mp4: bytes, region: Sequence[ImagePolygon]) -> bytes:
    """The clip re-encoded (H.264 in MP4, no audio) with what lies outside the region black."""
    from cctwin.privacy.clips import reencode

    return reencode(mp4, lambda _, image: black_outside(image, region))
