"""Draw tracks, zones and lines onto a frame for the live view and event snapshots."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.config import AnalyticsConfig
from cctwin.detect.labels import COCO_LABELS
from cctwin.geometry import to_pixels
from cctwin.types import Detections

ZONE_COLOUR = (255, 180, 0)
LINE_COLOUR = (0, 220, 255)
BOX_COLOUR = (60, 255, 60)


def render_overlay(
    image: npt.NDArray[np.uint8],
    tracks: Detections,
    analytics: AnalyticsConfig,
    max_width: int = 960,
) -> npt.NDArray[np.uint8]:
    """A copy of the image, at most `max_width` wide, with zones, lines and boxes drawn."""
    scale = min(1.0, max_width / image.shape[1])
    canvas: npt.NDArray[np.uint8] = image
    if scale < 1.0:
        canvas = np.asarray(cv2.resize(image, None, fx=scale, fy=scale), dtype=np.uint8)
    canvas = np.array(canvas, dtype=np.uint8, copy=True)
    height, width = canvas.shape[:2]
    for zone in analytics.zones:
        polygon = to_pixels(zone.polygon, width, height).astype(np.int32)
        cv2.polylines(canvas, [polygon], True, ZONE_COLOUR, 2)
        cv2.putText(
            canvas, zone.id, tuple(polygon[0]), cv2.FONT_HERSHEY_SIMPLEX, 0.5, ZONE_COLOUR, 1
        )
    for line in analytics.lines:
        a, b = to_pixels(line.points, width, height).astype(np.int32)
        cv2.line(canvas, tuple(a), tuple(b), LINE_COLOUR, 2)
    for box, track, class_id in zip(
        (tracks.xyxy * scale).astype(np.int32), tracks.track_id, tracks.class_id, strict=True
    ):
        x1, y1, x2, y2 = box.tolist()
        cv2.rectangle(canvas, (x1, y1), (x2, y2), BOX_COLOUR, 2)
        label = f"{COCO_LABELS[int(class_id)]} {int(track)}"
        cv2.putText(
            canvas, label, (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, BOX_COLOUR, 1
        )
    return canvas


def encode_jpeg(image: npt.NDArray[np.uint8], quality: int = 80) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(data.tobytes())
