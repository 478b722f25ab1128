"""The masker: finds faces, heads and plates in an image and hides them before it leaves."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.privacy.plates import PlateSearch, plate_boxes
from cctwin.privacy.regions import (
    CrowdArea,
    HeadRegion,
    clip_boxes,
    dense_rects,
    head_boxes,
    pad_boxes,
)

if TYPE_CHECKING:
    from cctwin.analytics.crowd.density import DensityCounter
    from cctwin.analytics.crowd.faces import FaceDetector
    from cctwin.analytics.crowd.people import PersonCounter
    from cctwin.config import PrivacyConfig

FloatArray = npt.NDArray[np.float32]
Rects = npt.NDArray[np.int32]

# The live pipeline's default detector input: long side 768 (config NanoDetConfig).
LIVE_LONG_SIDE = 768


class MaskStyle(StrEnum):
    """How a region is hidden: a solid fill, or pixel blocks too coarse to recognise anyone."""

    FILL = "fill"
    PIXELATE = "pixelate"


class PeopleSource(StrEnum):
    """Where person boxes come from when the caller gives none.

    `multiscale`: the crowd counter's three NanoDet passes (finds small, distant people);
    `live`: one pass like the live pipeline's (long side 768), as a worker masks with its
    tracks' boxes.
    """

    MULTISCALE = "multiscale"
    LIVE = "live"


@dataclass(frozen=True, slots=True)
class MaskSettings:
    """What to hide and how. Face threshold and padding and the head band were chosen on
    crowd-street's development half (head coverage 0.995, masked area 0.281 there)."""

    faces: bool = True
    heads: bool = True
    plates: bool = True
    face_confidence: float = 0.1
    face_pad: float = 0.25
    head: HeadRegion = field(default_factory=HeadRegion)
    crowd: CrowdArea = field(default_factory=CrowdArea)
    plate: PlateSearch = field(default_factory=PlateSearch)
    style: MaskStyle = MaskStyle.PIXELATE
    # Pixel blocks across a region's short side: 4 leaves a face four blocks tall.
    blocks: int = 4
    people: PeopleSource = PeopleSource.MULTISCALE


def draw_masks(
    image: npt.NDArray[np.uint8], rects: Rects, style: MaskStyle, blocks: int = 4
) -> npt.NDArray[np.uint8]:
    """A copy of the image with every rectangle filled or pixelated."""
    out = np.array(image, dtype=np.uint8, copy=True)
    for x0, y0, x1, y1 in rects.tolist():
        region = out[y0:y1, x0:x1]
        if region.size == 0:
            continue
        if style is MaskStyle.FILL:
            region[...] = 0
            continue
        h, w = region.shape[:2]
        block = max(2.0, min(h, w) / max(1, blocks))
        small = cv2.resize(
            region, (max(1, round(w / block)), max(1, round(h / block))),
            interpolation=cv2.INTER_AREA,
        )  # fmt: skip
        region[...] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


class Masker:
    """Finds what to hide in an image; models load on first use (a worker may never mask)."""

    def __init__(self, settings: MaskSettings | None = None, threads: int = 1) -> None:
        self.settings = settings or MaskSettings()
        self._threads = threads
        self._faces: FaceDetector | None = None
        self._people: PersonCounter | None = None
        self._density: DensityCounter | None = None
        # camera -> (when, image size, dense rectangles) of its last density run
        self._dense_cache: dict[str, tuple[float, tuple[int, int], Rects]] = {}

    def regions(
        self,
        image: npt.NDArray[np.uint8],
        people: FloatArray | None = None,
        vehicles: FloatArray | None = None,
        crowd_key: str | None = None,
    ) -> Rects:
        """Rectangles to hide. `people` / `vehicles`: boxes already found (a worker's tracks);
        people are detected here when None and heads are masked. `crowd_key` (a camera):
        its dense-crowd cells are reused for `settings.crowd.reuse_s`."""
        settings = self.settings
        height, width = image.shape[:2]
        found: list[FloatArray] = []
        if settings.faces:
            faces = self._face_detector().detect(image, settings.face_confidence)
            found.append(pad_boxes(faces.xyxy, settings.face_pad))
        if settings.heads:
            if people is None:
                people = self._person_counter().detect(image).xyxy
            found.append(head_boxes(people, settings.head))
        if settings.plates and vehicles is not None and len(vehicles):
            found.append(plate_boxes(image, vehicles, settings.plate))
        dense = self._dense(image, people, crowd_key)
        if not found:
            return dense
        return np.concatenate([clip_boxes(np.concatenate(found), width, height), dense])

    def mask(
        self,
        image: npt.NDArray[np.uint8],
        people: FloatArray | None = None,
        vehicles: FloatArray | None = None,
        crowd_key: str | None = None,
    ) -> npt.NDArray[np.uint8]:
        """A masked copy of the image."""
        rects = self.regions(image, people, vehicles, crowd_key)
        return draw_masks(image, rects, self.settings.style, self.settings.blocks)

    def _face_detector(self) -> FaceDetector:
        if self._faces is None:
            from cctwin.analytics.crowd.faces import FaceDetector

            self._faces = FaceDetector(threads=self._threads)
        return self._faces

    def _dense(
        self, image: npt.NDArray[np.uint8], people: FloatArray | None, key: str | None
    ) -> Rects:
        """The cells of a packed crowd, when the image has enough people for one."""
        crowd = self.settings.crowd
        height, width = image.shape[:2]
        if not crowd.enabled or people is None or len(people) < crowd.min_people:
            return np.zeros((0, 4), np.int32)
        now = time.monotonic()
        kept = self._dense_cache.get(key) if key is not None else None
        if kept is not None and now - kept[0] < crowd.reuse_s and kept[1] == (width, height):
            return kept[2]
        density = self._density_counter().count(image, max_side=crowd.max_side).density_map
        rects = dense_rects(density, width, height, crowd.cell_density)
        if key is not None:
            self._dense_cache[key] = (now, (width, height), rects)
        return rects

    def _density_counter(self) -> DensityCounter:
        if self._density is None:
            from cctwin.analytics.crowd.density import DensityCounter

            self._density = DensityCounter(threads=self._threads)
        return self._density

    def _person_counter(self) -> PersonCounter:
        if self._people is None:
            from cctwin.analytics.crowd.people import (
                PersonCounter,
                PersonCountSettings,
                ScalePass,
            )

            settings = None
            if self.settings.people is PeopleSource.LIVE:
                confidence = 0.25  # the live detector's default (NanoDetConfig.confidence)
                settings = PersonCountSettings(passes=(ScalePass(LIVE_LONG_SIDE, confidence),))
            self._people = PersonCounter(settings, threads=self._threads)
        return self._people


def settings_from_config(privacy: PrivacyConfig) -> MaskSettings:
    """A worker's mask settings; person boxes come from its tracks (or one live-sized pass)."""
    return MaskSettings(
        faces=privacy.faces,
        heads=privacy.heads,
        plates=privacy.plates,
        face_confidence=privacy.face_confidence,
        crowd=CrowdArea(enabled=privacy.crowd_density),
        style=MaskStyle(privacy.style),
        people=PeopleSource.LIVE,
    )
