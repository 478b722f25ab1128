"""Which low-resolution cameras to upgrade first: by the weighted ground they watch and its events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from cctwin.planning.coverage import CameraCoverage


class Upgrade(BaseModel):
    """One sub-threshold camera, its score and what the score is made of."""

    camera_id: str
    megapixels: float
    weighted_m2: float
    events: int | None
    score: float


def rank_upgrades(
    cameras: Sequence[CameraCoverage], below_mp: float, events: Mapping[str, int] | None
) -> list[Upgrade]:
    """Placed cameras under `below_mp` megapixels, the most useful to upgrade first.

    `events` is the stored event count per camera (None: no store). Score = share of the
    largest weighted area watched among them plus share of the largest event count, half
    each: what it watches and what happens there. Without a store the area alone ranks them.
    """
    low = [c for c in cameras if c.status != "not placed" and 0 < c.megapixels < below_mp]
    top_area = max((c.weighted_m2 for c in low), default=0.0) or 1.0
    top_events = max((events.get(c.camera_id, 0) for c in low), default=0) if events else 0
    ranked = []
    for camera in low:
        count = None if events is None else events.get(camera.camera_id, 0)
        area_share = camera.weighted_m2 / top_area
        score = area_share if count is None else 0.5 * area_share + 0.5 * count / (top_events or 1)
        ranked.append(
            Upgrade(
                camera_id=camera.camera_id,
                megapixels=camera.megapixels,
                weighted_m2=camera.weighted_m2,
                events=count,
                score=round(score, 4),
            )
        )
    ranked.sort(key=lambda u: (-u.score, u.camera_id))
    return ranked
