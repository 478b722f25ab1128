"""The names operators gave cameras, zones and lines, for titles, reports and the map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for the annotation: the config package imports the reports package, which needs
    # these names, so a run-time import here would be circular.
    from cctwin.config import CameraConfig


@dataclass(frozen=True, slots=True)
class PlaceNames:
    """Operators' names for cameras, zones and lines; titles fall back to ids without one."""

    cameras: dict[str, str] = field(default_factory=dict)
    # (camera id, zone or line id) -> name; zones and lines are named per camera.
    places: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_cameras(cls, cameras: Sequence[CameraConfig]) -> PlaceNames:
        """Names from the config's cameras, zones and lines (empty names are left out)."""
        places = {
            (camera.id, place_id): name
            for camera in cameras
            for place_id, name in camera.analytics.place_names().items()
        }
        return cls({c.id: c.name for c in cameras if c.name}, places)

    def camera(self, camera_id: str) -> str:
        return self.cameras.get(camera_id, camera_id)

    def place(self, camera_id: str, place_id: str) -> str:
        return self.places.get((camera_id, place_id), place_id)
