"""Reference views kept between runs: the service and `cameras audit` judge against the same one.

A reference is a few numbers (median sharpness, contrast, luma, flat share) and the ORB
keypoints and descriptors of the camera's median view: no pixels, nothing of the footage
that identifies anyone. It is kept as `<media>/camerahealth/<camera>.npz`; a file that is
missing, stale or unreadable is ignored and a new reference is built.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from cctwin.camerahealth.audit import Reference
from cctwin.camerahealth.measures import ViewFeatures

log = logging.getLogger(__name__)
FOLDER = "camerahealth"


def reference_path(media: Path, camera_id: str) -> Path:
    """Where a camera's reference view is kept under the media folder."""
    return media / FOLDER / f"{camera_id}.npz"


def save_reference(reference: Reference, path: Path) -> None:
    """Write a reference view (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    view = reference.view
    partial = path.with_suffix(".tmp.npz")
    np.savez(
        partial,
        scalars=np.array([reference.sharpness, reference.contrast, reference.luma,
                          reference.flat], np.float64),
        size=np.array([view.width, view.height], np.int64),
        points=view.points,
        descriptors=view.descriptors if view.descriptors is not None else np.empty((0, 32), np.uint8),
    )  # fmt: skip
    partial.replace(path)


def load_reference(path: Path) -> Reference | None:
    """The stored reference view, or None when there is none that can be read."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as stored:
            sharpness, contrast, luma, flat = (float(v) for v in stored["scalars"])
            width, height = (int(v) for v in stored["size"])
            points = np.asarray(stored["points"], np.float32).reshape(-1, 2)
            codes = np.asarray(stored["descriptors"], np.uint8)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s: unreadable reference view (%s); building a new one", path, exc)
        return None
    view = ViewFeatures(points, codes if len(codes) else None, width, height)
    return Reference(sharpness, contrast, luma, flat, view)
