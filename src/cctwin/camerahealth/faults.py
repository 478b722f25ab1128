"""Fault injection for the evaluation: blur, gain drop, freeze, lens cover, spray, moved view.

Each fault is a typed, parameterised change of an image, applied to real footage at known
times; the evaluation then asks whether the auditor raised the matching reason, how soon,
and whether it raised anything else.
"""

from __future__ import annotations

from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from cctwin.messages import HealthReason

Image = npt.NDArray[np.uint8]


class FaultKind(StrEnum):
    """What happens to the camera."""

    BLUR = "blur"
    GAIN = "gain"
    FREEZE = "freeze"
    COVER = "cover"
    SPRAY = "spray"
    SHIFT = "shift"


# The reason each fault must raise, and the other reasons that are also true of it (a sprayed
# dome is blurred too; black tape is dark): those are not false alarms.
EXPECTED: dict[FaultKind, HealthReason] = {
    FaultKind.BLUR: HealthReason.BLURRED,
    FaultKind.GAIN: HealthReason.DARK,
    FaultKind.FREEZE: HealthReason.FROZEN,
    FaultKind.COVER: HealthReason.COVERED,
    FaultKind.SPRAY: HealthReason.COVERED,
    FaultKind.SHIFT: HealthReason.MOVED,
}
ALSO_TRUE: dict[FaultKind, frozenset[HealthReason]] = {
    FaultKind.SPRAY: frozenset({HealthReason.BLURRED}),
    FaultKind.COVER: frozenset({HealthReason.DARK, HealthReason.BLURRED}),
}


class Fault(BaseModel):
    """One fault and its strength.

    blur: Gaussian sigma as a share of the width; gain: the factor on every grey level;
    cover: the share of the image hidden; spray: blur sigma share (haze fixed at 60 %);
    shift: translation share of the width (`amount`) and rotation (`angle_deg`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    amount: float = Field(gt=0)
    angle_deg: float = 0.0

    @property
    def label(self) -> str:
        extra = f"+{self.angle_deg:g}deg" if self.angle_deg else ""
        return f"{self.kind.value}:{self.amount:g}{extra}"


def apply(fault: Fault, image: Image, frozen: Image | None, seed: int = 0) -> Image:
    """The image as the faulty camera delivers it (`frozen`: the picture a freeze repeats)."""
    if fault.kind is FaultKind.FREEZE:
        return image if frozen is None else frozen
    if fault.kind is FaultKind.BLUR:
        return _blur(image, fault.amount)
    if fault.kind is FaultKind.GAIN:
        noise = np.random.default_rng(seed).normal(0, 1.5, image.shape)
        return np.clip(image.astype(np.float32) * fault.amount + noise, 0, 255).astype(np.uint8)
    if fault.kind is FaultKind.COVER:
        # The sensor's noise stays under a hand: a covered lens is not a frozen stream.
        noise = np.random.default_rng(seed).normal(0, 1.5, image.shape)
        return np.clip(_cover(image, fault.amount) + noise, 0, 255).astype(np.uint8)
    if fault.kind is FaultKind.SPRAY:
        hazed = _blur(image, fault.amount).astype(np.float32) * 0.4 + 0.6 * 170.0
        return hazed.astype(np.uint8)
    return _shift(image, fault.amount, fault.angle_deg)


def _blur(image: Image, sigma_share: float) -> Image:
    sigma = max(0.5, sigma_share * image.shape[1])
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.uint8)


def _cover(image: Image, share: float) -> Image:
    """An out-of-focus hand or tape: a smooth dark blob from one side over `share` of it."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # An ellipse centred off the left edge, grown until it hides `share` of the pixels.
    cx, cy = -0.1 * w, 0.5 * h
    distance = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
    radius = float(np.quantile(distance, share))
    mask = np.asarray(cv2.GaussianBlur((distance <= radius).astype(np.float32), (0, 0), 0.02 * w))
    blob = 55.0 + 25.0 * (xx / w)  # soft shading across the hand, no texture
    if image.ndim == 3:
        mask, blob = mask[..., None], blob[..., None]
    out = image.astype(np.float32) * (1 - mask) + blob * mask
    return np.asarray(np.clip(out, 0, 255), np.uint8)


def _shift(image: Image, share: float, angle_deg: float) -> Image:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    matrix[0, 2] += share * w
    return np.asarray(
        cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT), np.uint8
    )
