"""Seeding a look-ahead from a zone's live flows: where it is, how fast and where people walk."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely  # type: ignore[import-untyped]
from pydantic import BaseModel, Field
from shapely.geometry import Polygon  # type: ignore[import-untyped]

from cctwin.config import CameraConfig, LineConfig
from cctwin.geometry import apply_homography
from cctwin.geometry.earth import metres_to_lonlat
from cctwin.twin.footprint import camera_view, visible_image_region

# Weidmann (1993): v(rho) = v0 (1 - exp(-1.913 (1/rho - 1/5.4))), the CFSM's reference.
WEIDMANN_GAMMA = 1.913
WEIDMANN_JAM = 5.4
# Desired speeds outside this range are measurement noise, not walkers (SpeedConfig's clip).
FREE_SPEED_RANGE = (0.5, 2.0)
# Exits against the flow still get a share: crowds spill both ways when they are dense.
BACKFLOW_SHARE = 0.1
# Counter windows: the inflow is the mean of the last few minutes of line crossings.
RATE_WINDOW = timedelta(minutes=5)
HOT_SPOT_RADIUS_M = (3.0, 60.0)


class ZoneFlow(BaseModel):
    """A zone's live state as the look-ahead seeds it (what was used is kept with the run)."""

    camera_id: str
    rule_id: str
    zone_id: str
    observed_at: datetime
    density: float = Field(gt=0, description="Persons/m2 now (crowd.density).")
    level: str = Field(description="Risk band now (the observation's level).")
    speed_mps: float | None = Field(None, description="Mean ground speed inside (crowd.speed).")
    inflow_per_min: float = Field(0.0, ge=0, description="`in` line crossings per minute.")
    heading_deg: float | None = Field(None, description="Compass heading of the `in` crossings.")


class HotSpotPlace(BaseModel):
    """A camera zone on the map: the centre of its ground polygon and the equal-area radius."""

    at: tuple[float, float]
    radius_m: float


def free_speed(density: float, measured_mps: float | None) -> float | None:
    """The desired (free) speed that gives `measured_mps` at `density` on Weidmann's diagram.

    A walker slowed by the crowd says little about where it would walk freely; inverting the
    fundamental diagram recovers it. None where the diagram cannot (no speed, jam density).
    """
    if measured_mps is None or measured_mps <= 0 or not 0 < density < WEIDMANN_JAM - 0.2:
        return None
    slowdown = 1.0 - math.exp(-WEIDMANN_GAMMA * (1.0 / density - 1.0 / WEIDMANN_JAM))
    low, high = FREE_SPEED_RANGE
    return min(max(measured_mps / slowdown, low), high)


def exit_shares(exits: Sequence[tuple[float, float]], heading_deg: float | None) -> list[float]:
    """Each exit's share (metres east, north of the hot spot) for a flow along `heading_deg`.

    The share follows the cosine between the exit's bearing and the heading, never below
    BACKFLOW_SHARE; without a heading every exit is equal.
    """
    if heading_deg is None:
        return [1.0 for _ in exits]
    heading = math.radians(heading_deg)
    shares = []
    for x, y in exits:
        bearing = math.atan2(x, y)  # compass: 0 = north, clockwise
        shares.append(round(max(math.cos(bearing - heading), 0.0) + BACKFLOW_SHARE, 4))
    return shares


def forward_exits(exits: Sequence[tuple[float, float]], heading_deg: float | None) -> list[int]:
    """Indices of the exits ahead of the flow (within 90 degrees of it); all without a heading.

    The crowd standing at the hot spot walks to the nearest of these: sending it by shares to
    far exits makes it cross itself, slows the simulation tenfold and is not what crowds do.
    """
    shares = exit_shares(exits, heading_deg)
    ahead = [i for i, share in enumerate(shares) if share > BACKFLOW_SHARE + 1e-9]
    return ahead if heading_deg is not None and ahead else list(range(len(exits)))


def ground_place(camera: CameraConfig, polygon: Sequence[Sequence[float]]) -> HotSpotPlace | None:
    """A normalised image polygon of a placed camera on the map; None when it misses the ground."""
    view = camera_view(camera, 200.0)
    if view is None:
        return None
    image = shapely.make_valid(Polygon([(float(x), float(y)) for x, y in polygon]))
    seen = image.intersection(Polygon(visible_image_region(view.homography)))
    if seen.is_empty or seen.geom_type != "Polygon":
        return None
    ground = Polygon(apply_homography(view.homography, np.asarray(seen.exterior.coords[:-1])))
    if not ground.is_valid or ground.area <= 0:
        return None
    centre = ground.centroid
    (lonlat,) = metres_to_lonlat([(centre.x, centre.y)], (view.lon, view.lat))
    low, high = HOT_SPOT_RADIUS_M
    radius = min(max(math.sqrt(ground.area / math.pi), low), high)
    return HotSpotPlace(at=(float(lonlat[0]), float(lonlat[1])), radius_m=round(radius, 2))


def in_heading(camera: CameraConfig, line: LineConfig) -> float | None:
    """Compass heading (degrees) of someone crossing `line` in its `in` direction, on the ground."""
    view = camera_view(camera, 200.0)
    if view is None:
        return None
    # The crossing's direction in the image, mapped onto the ground at the line's middle.
    normal_image = _right_normal_image(line)
    mid = np.mean(np.asarray(line.points, dtype=np.float64), axis=0)
    ahead = apply_homography(view.homography, np.asarray([mid, mid + normal_image]))
    nx, ny = float(ahead[1][0] - ahead[0][0]), float(ahead[1][1] - ahead[0][1])
    if line.in_direction == "right_to_left":
        nx, ny = -nx, -ny
    return _compass(math.atan2(nx, ny))


def _right_normal_image(line: LineConfig) -> np.ndarray:
    """A small step in the image, across the line towards the side `left_to_right` enters."""
    (x0, y0), (x1, y1) = line.points
    dx, dy = x1 - x0, y1 - y0
    norm = math.hypot(dx, dy) or 1.0
    # Walking p0 -> p1 with y down, the right-hand side is (-dy, dx).
    return np.asarray([-dy / norm * 0.01, dx / norm * 0.01])


@dataclass
class LineCounter:
    """A line's cumulative `in` counts over time: the crossing rate of the last minutes."""

    samples: deque[tuple[datetime, float]] = field(default_factory=lambda: deque(maxlen=600))

    def add(self, at: datetime, cumulative: float) -> None:
        if self.samples and cumulative < self.samples[-1][1]:
            self.samples.clear()  # the worker restarted: its counter began again at zero
        self.samples.append((at, cumulative))

    def per_minute(self, now: datetime) -> float:
        recent = [(t, c) for t, c in self.samples if now - t <= RATE_WINDOW]
        if len(recent) < 2:
            return 0.0
        (t0, c0), (t1, c1) = recent[0], recent[-1]
        seconds = (t1 - t0).total_seconds()
        return max(c1 - c0, 0.0) * 60.0 / seconds if seconds > 0 else 0.0


def mean_heading(headings: Sequence[tuple[float, float]]) -> float | None:
    """The rate-weighted circular mean of (heading_deg, rate) pairs; None without any flow."""
    x = sum(r * math.sin(math.radians(h)) for h, r in headings)
    y = sum(r * math.cos(math.radians(h)) for h, r in headings)
    if math.hypot(x, y) < 1e-9:
        return None
    return _compass(math.atan2(x, y))


def _compass(radians: float) -> float:
    """A compass heading in [0, 360), rounded (so -1e-15 is north, not 360)."""
    return round(math.degrees(radians) % 360.0, 3) % 360.0
