"""Learned dry background of a camera and a per-pixel colour-shift / texture-loss change map."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
UInt8Array = npt.NDArray[np.uint8]

# The background lives at a small fixed width: it is a coarse cue and must cost ~1 ms.
BACKGROUND_WIDTH = 160
# Added to the background gradient so flat regions (sky, painted walls) do not read as
# "texture lost" on sensor noise alone.
TEXTURE_FLOOR = 6.0


class DryBackground:
    """Running median of downscaled frames, taken while the scene is known to be dry.

    A median over `frames` samples, one every `every` offers, is robust to passing cars and
    people; water has to sit in more than half of the window before it is absorbed, which is
    why the monitor stops offering frames as soon as the status leaves `normal`.
    """

    def __init__(self, frames: int = 15, every: int = 1, min_frames: int = 3) -> None:
        if frames < 1 or every < 1 or not 1 <= min_frames <= frames:
            raise ValueError("need frames >= 1, every >= 1 and 1 <= min_frames <= frames")
        self._samples: deque[FloatArray] = deque(maxlen=frames)
        self._every = every
        self._offers = 0
        self._min_frames = min_frames
        self._lab: FloatArray | None = None
        self._texture: FloatArray | None = None

    @property
    def ready(self) -> bool:
        """True once enough dry frames have been seen for the change map to mean something."""
        return len(self._samples) >= self._min_frames

    def reset(self) -> None:
        """Forget the learned background (camera moved, or it was learned on a wet scene)."""
        self._samples.clear()
        self._offers = 0
        self._lab = None
        self._texture = None

    def offer(self, image_bgr: UInt8Array) -> None:
        """Consider a frame taken while the scene is dry (every `every`-th one is kept)."""
        self._offers += 1
        if (self._offers - 1) % self._every:
            return
        lab = _small_lab(image_bgr)
        if self._samples and self._samples[0].shape != lab.shape:
            self._samples.clear()  # the camera changed resolution or aspect: start again
        self._samples.append(lab)
        # The median of up to `frames` samples costs ten times the sample itself; frames are
        # offered every couple of seconds but compared once per segmentation, so the
        # median waits until `change` needs it.
        self._lab = None
        self._texture = None

    def change(self, image_bgr: UInt8Array) -> FloatArray | None:
        """0..1 per pixel (image size): how far the frame is from the dry background."""
        if not self.ready:
            return None
        if self._lab is None or self._texture is None:
            self._lab = np.asarray(np.median(np.stack(self._samples), axis=0), dtype=np.float32)
            self._texture = _texture(self._lab[..., 0])
        lab = _small_lab(image_bgr)
        if lab.shape != self._lab.shape:
            return None
        diff = lab - self._lab
        # A global lighting change moves L everywhere; only the local departure counts.
        d_light = diff[..., 0] - float(np.median(diff[..., 0]))
        shift = np.sqrt(0.5 * d_light**2 + diff[..., 1] ** 2 + diff[..., 2] ** 2)
        colour = np.clip(shift / 25.0, 0.0, 1.0)
        # Water over asphalt or paving removes fine texture; a still surface is smooth.
        lost = np.clip(
            (self._texture - _texture(lab[..., 0])) / (self._texture + TEXTURE_FLOOR), 0.0, 1.0
        )
        score = cv2.blur(np.maximum(colour, lost).astype(np.float32), (3, 3))
        height, width = image_bgr.shape[:2]
        out = cv2.resize(score, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.asarray(out, dtype=np.float32)


def _small_lab(image_bgr: UInt8Array) -> FloatArray:
    height, width = image_bgr.shape[:2]
    size = (BACKGROUND_WIDTH, max(1, round(height * BACKGROUND_WIDTH / width)))
    small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)
    return np.asarray(lab, dtype=np.float32)


def _texture(lightness: FloatArray) -> FloatArray:
    gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1)
    return np.asarray(cv2.blur(np.sqrt(gx * gx + gy * gy), (5, 5)), dtype=np.float32)
