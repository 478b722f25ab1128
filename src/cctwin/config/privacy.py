"""Privacy: masking before images leave a worker, and how long footage and facts are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from cctwin.config.base import Strict, UnitFloat

# PIPA art. 25 allows public CCTV only for listed purposes; this is the usual one.
DEFAULT_PURPOSE = "crime prevention and public safety"


class PrivacyConfig(Strict):
    """Deployment-wide masking and retention; cameras may override (CameraPrivacyConfig)."""

    mask: bool = Field(
        False,
        description="Mask faces, heads and plates in snapshots and live previews before they "
        "leave the worker (clips: see docs/security.md).",
    )
    faces: bool = Field(True, description="Mask faces found by CenterFace.")
    heads: bool = Field(True, description="Mask the head band of every tracked person.")
    plates: bool = Field(True, description="Mask plate-like regions of tracked vehicles.")
    crowd_density: bool = Field(
        True,
        description="In a frame with 10 or more people, also mask the cells where the crowd "
        "density model finds a packed crowd (heads too small for faces or person boxes); "
        "costs one CSRNet run (about 180 ms on a CPU core) per camera every 2 s while crowded.",
    )
    style: Literal["pixelate", "fill"] = "pixelate"
    face_confidence: UnitFloat = Field(
        0.1,
        description="CenterFace score for a face. Low on purpose: a missed face is a privacy "
        "failure, a false one a few pixelated pixels (crowd-street: 0.1 covers 0.995 of heads "
        "for 0.281 of the image masked, 0.3 covers 0.982 for 0.275).",
    )
    purpose: str = Field(DEFAULT_PURPOSE, min_length=1, description="Why footage is kept.")
    retention_days: int = Field(30, ge=1, le=3650, description="Days facts and media are kept.")
    purge_interval_s: float = Field(
        3600.0, ge=10, description="How often the service purges what is past retention."
    )
    purge_delay_s: float = Field(
        60.0, ge=0, description="Seconds after start before the first purge (start-up first)."
    )
    keep_originals: bool = Field(
        True,
        description="Keep each masked snapshot's and clip's original under `originals/` beside "
        "the media folder, so an unmask grant can show it; off: masked copies only.",
    )
    originals_key: Path | None = Field(
        None,
        description="AES-256 key file that encrypts the originals at rest (created, owner-only, "
        "when missing); default `originals.key` beside the media folder. Keep it off the media "
        "backups so a copied media folder shows no faces.",
    )
    unmask_max_minutes: int = Field(
        60, ge=1, le=60, description="The longest an unmask grant may last (an hour at most)."
    )
    unmask_reason_min_chars: int = Field(
        10, ge=10, le=200, description="The shortest reason an unmask grant accepts (10+)."
    )


class CameraPrivacyConfig(Strict):
    """One camera's own purpose, retention or masking; empty fields follow `privacy:`."""

    mask: bool | None = None
    purpose: str | None = Field(None, min_length=1)
    retention_days: int | None = Field(None, ge=1, le=3650)
