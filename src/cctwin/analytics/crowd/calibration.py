"""Tsai camera calibration (PETS 2009 files), density per m2 and crowd risk bands."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cctwin.geometry import fit_homography

Points = npt.NDArray[np.float64]


def density_per_m2(count: float, area_m2: float) -> float:
    """Persons per square metre; a zone with no area has no meaningful density."""
    if area_m2 <= 0.0:
        raise ValueError("zone area must be positive")
    return count / area_m2


@dataclass(frozen=True, slots=True)
class TsaiCamera:
    """Tsai (1987) camera model as used by the PETS 2009 calibration files (millimetres)."""

    width: int
    height: int
    focal: float
    kappa1: float
    cx: float
    cy: float
    sx: float
    dx: float
    dy: float
    dpx: float
    dpy: float
    t: tuple[float, float, float]
    r: tuple[float, float, float]

    def rotation(self) -> Points:
        """Rotation matrix from Tsai's Euler angles (rx, ry, rz)."""
        sa, ca = math.sin(self.r[0]), math.cos(self.r[0])
        sb, cb = math.sin(self.r[1]), math.cos(self.r[1])
        sg, cg = math.sin(self.r[2]), math.cos(self.r[2])
        return np.array(
            [
                [cb * cg, cg * sa * sb - ca * sg, sa * sg + ca * cg * sb],
                [cb * sg, sa * sb * sg + ca * cg, ca * sb * sg - cg * sa],
                [-sb, cb * sa, ca * cb],
            ]
        )

    def world_to_image(self, points_m: Points) -> Points:
        """Project (N, 3) world points in metres to (N, 2) distorted image pixels."""
        w = np.asarray(points_m, dtype=np.float64).reshape(-1, 3) * 1000.0
        c = w @ self.rotation().T + np.asarray(self.t)
        xu = self.focal * c[:, 0] / c[:, 2]
        yu = self.focal * c[:, 1] / c[:, 2]
        # Tsai defines Xu = Xd (1 + k r_d^2); invert it by fixed-point iteration.
        xd, yd = xu.copy(), yu.copy()
        for _ in range(20):
            f = 1.0 + self.kappa1 * (xd * xd + yd * yd)
            xd, yd = xu / f, yu / f
        pixels: Points = np.c_[self.sx * xd / self.dpx + self.cx, yd / self.dpy + self.cy]
        return pixels

    def ground_to_image(self, points_m: Points) -> Points:
        """Project (N, 2) ground-plane (z = 0) points in metres to pixels."""
        p = np.asarray(points_m, dtype=np.float64).reshape(-1, 2)
        return self.world_to_image(np.c_[p, np.zeros(len(p))])

    def image_to_ground_homography(self, extent_m: float = 30.0, step_m: float = 1.0) -> Points:
        """Pixel -> ground metres homography fitted on a grid of visible ground points."""
        g = np.arange(-extent_m, extent_m + step_m / 2, step_m)
        grid = np.array([(x, y) for x in g for y in g])
        px = self.ground_to_image(grid)
        world = np.c_[grid, np.zeros(len(grid))] * 1000.0
        depth = (world @ self.rotation().T + np.asarray(self.t))[:, 2]
        ok = (
            (depth > 0)
            & (px[:, 0] >= 0)
            & (px[:, 0] < self.width)
            & (px[:, 1] >= 0)
            & (px[:, 1] < self.height)
        )
        if ok.sum() < 4:
            raise ValueError("fewer than 4 grid points are visible; widen extent_m")
        return fit_homography(px[ok], grid[ok])


def load_tsai_xml(path: Path) -> TsaiCamera:
    """Read a PETS 2009 Tsai calibration XML."""
    root = ET.parse(path).getroot()
    geo, intr, ext = root.find("Geometry"), root.find("Intrinsic"), root.find("Extrinsic")
    if geo is None or intr is None or ext is None:
        raise ValueError(f"{path}: not a Tsai calibration file")

    def f(el: ET.Element, key: str) -> float:
        return float(el.attrib[key])

    return TsaiCamera(
        width=int(geo.attrib["width"]),
        height=int(geo.attrib["height"]),
        focal=f(intr, "focal"),
        kappa1=f(intr, "kappa1"),
        cx=f(intr, "cx"),
        cy=f(intr, "cy"),
        sx=f(intr, "sx"),
        dx=f(geo, "dx"),
        dy=f(geo, "dy"),
        dpx=f(geo, "dpx"),
        dpy=f(geo, "dpy"),
        t=(f(ext, "tx"), f(ext, "ty"), f(ext, "tz")),
        r=(f(ext, "rx"), f(ext, "ry"), f(ext, "rz")),
    )


@dataclass(frozen=True, slots=True)
class RiskBand:
    """One crowd risk level entered at `threshold` persons per square metre."""

    name: str
    name_ko: str
    threshold: float


# Seoul crowd-safety guidance: 3 / 4 / 5 persons per m^2.
SEOUL_BANDS: tuple[RiskBand, ...] = (
    RiskBand("caution", "주의", 3.0),
    RiskBand("alert", "경계", 4.0),
    RiskBand("severe", "심각", 5.0),
)


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A change of risk level; None means normal (below every band)."""

    previous: RiskBand | None
    current: RiskBand | None
    density: float


class RiskLevelTracker:
    """Risk level with hysteresis: enter at threshold, leave only below threshold - hysteresis."""

    def __init__(self, bands: Sequence[RiskBand] = SEOUL_BANDS, hysteresis: float = 0.5) -> None:
        self._bands = sorted(bands, key=lambda b: b.threshold)
        self._hysteresis = hysteresis
        self._level: int = -1

    @property
    def level(self) -> RiskBand | None:
        """The current band, or None when normal."""
        return self._bands[self._level] if self._level >= 0 else None

    def update(self, density: float) -> LevelChange | None:
        """Feed one density reading; return the change, or None when the level holds."""
        entered = -1
        for i, band in enumerate(self._bands):
            if density >= band.threshold:
                entered = i
        new = self._level
        if entered > self._level:
            new = entered
        else:
            # Step down only as far as the hysteresis allows, so noise at a boundary is ignored.
            while new >= 0 and density < self._bands[new].threshold - self._hysteresis:
                new -= 1
            new = max(new, entered)
        if new == self._level:
            return None
        previous = self.level
        self._level = new
        return LevelChange(previous, self.level, density)
