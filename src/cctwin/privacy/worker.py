"""Masking inside an analysis worker: frames from the tracks' boxes, clips on a side thread."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from cctwin.config import Config
from cctwin.detect.labels import COCO_LABELS, PERSON
from cctwin.privacy.masker import Masker, settings_from_config
from cctwin.privacy.retention import policy_for
from cctwin.types import Detections

log = logging.getLogger(__name__)

_VEHICLES = np.array([COCO_LABELS.index(n) for n in ("car", "motorcycle", "bus", "truck")])


class WorkerMasking:
    """Which of the worker's cameras mask, and the masker they share (loaded on first use).

    Clips are re-encoded on one side thread (a few seconds of CPU each) so the analysis loop
    never waits; a clip that fails to mask is dropped, never stored unmasked.
    """

    def __init__(self, config: Config) -> None:
        self._cameras = {c.id for c in config.cameras if policy_for(c, config).mask}
        self._settings = settings_from_config(config.privacy)
        self._masker: Masker | None = None
        self._clip_masker: Masker | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._clips: list[tuple[str, str, Future[bytes]]] = []

    def masks(self, camera_id: str) -> bool:
        return camera_id in self._cameras

    def frame(
        self, camera_id: str, image: npt.NDArray[np.uint8], *found: Detections
    ) -> npt.NDArray[np.uint8]:
        """The image to render and publish: masked when the camera masks, else as it is.

        `found`: the frame's tracks and its raw detections; a person not yet confirmed as a
        track is still a person to hide.
        """
        if camera_id not in self._cameras:
            return image
        xyxy = np.concatenate([d.xyxy for d in found]).reshape(-1, 4) if found else np.zeros((0, 4))
        classes = np.concatenate([d.class_id for d in found]) if found else np.zeros(0, np.int32)
        people = xyxy[classes == PERSON].astype(np.float32)
        vehicles = xyxy[np.isin(classes, _VEHICLES)].astype(np.float32)
        try:
            if self._masker is None:
                self._masker = Masker(self._settings)
            return self._masker.mask(image, people, vehicles, crowd_key=camera_id)
        except Exception:
            # Fail closed: a camera that must mask never shows an unmasked frame.
            log.exception("masking failed on camera %s; frame blanked", camera_id)
            return np.zeros_like(image)

    def submit_clip(self, camera_id: str, event_id: str, mp4: bytes) -> None:
        from cctwin.privacy.clips import mask_clip

        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="mask-clips")
            # Its own models: ONNX sessions are thread-safe, but the lazy loading is not.
            self._clip_masker = Masker(self._settings)
        assert self._clip_masker is not None
        future = self._executor.submit(mask_clip, mp4, self._clip_masker)
        self._clips.append((camera_id, event_id, future))

    def take_clips(self) -> list[tuple[str, str, bytes]]:
        """Masked clips that are finished, in the order they were asked for."""
        done: list[tuple[str, str, bytes]] = []
        while self._clips and self._clips[0][2].done():
            camera_id, event_id, future = self._clips.pop(0)
            try:
                done.append((camera_id, event_id, future.result()))
            except Exception:
                log.exception("masking the clip of event %s failed; clip dropped", event_id)
        return done
