"""Where new cameras could go: street lamps and poles from OSM, or points along roads and trails."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely import affinity

from cctwin.config.camera import PlacementConfig
from cctwin.config.planning import PlanningConfig
from cctwin.twin.footprint import CameraView, SiteGeometry, mounting_homography, raw_footprint
from cctwin.twin.osm import SiteModel

CandidateSource = Literal["auto", "osm", "roads"]

# OSM nodes a camera is commonly bolted to: a lamp post, a mast, a utility or power pole.
POLE_TAGS: dict[str, frozenset[str]] = {
    "highway": frozenset({"street_lamp"}),
    "man_made": frozenset({"mast", "utility_pole"}),
    "power": frozenset({"pole"}),
}


class PlacementError(ValueError):
    """A request the planner refuses, with the reason (K too large, no such candidates)."""


@dataclass(frozen=True, slots=True)
class Position:
    """A place a new camera could be mounted: site metres and lon/lat, and what it is."""

    position_id: str
    kind: str  # street_lamp / mast / utility_pole / pole / road / trails
    x: float
    y: float
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Option:
    """One way to mount a camera at a position: heading and lens, and its occluded footprint."""

    position: int  # index into the positions
    heading_deg: float
    fov_deg: float
    range_m: float
    ground: Any  # shapely geometry in site metres


def pole_kind(tags: dict[str, str]) -> str | None:
    """street_lamp / mast / utility_pole / pole when the tags name a mount, else None."""
    for key, values in POLE_TAGS.items():
        if tags.get(key) in values:
            return tags[key]
    return None


def osm_poles(path: Path) -> list[tuple[str, str, float, float]]:
    """(osm id, kind, lon, lat) of the lamp and pole nodes of an OSM XML or PBF file."""
    out: list[tuple[str, str, float, float]] = []
    if path.suffix.lower() == ".pbf":
        import osmium

        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if not isinstance(node, osmium.osm.Node):
                continue
            kind = pole_kind({t.k: t.v for t in node.tags})
            if kind and node.location.valid():
                out.append((f"node/{node.id}", kind, node.location.lon, node.location.lat))
        return out
    if path.suffix.lower() not in (".osm", ".xml"):
        return out
    for node in SafeET.parse(str(path)).getroot().iter("node"):
        kind = pole_kind({t.get("k", ""): t.get("v", "") for t in node.iter("tag")})
        try:
            lonlat = (float(node.get("lon", "")), float(node.get("lat", "")))
        except ValueError:
            continue
        if kind:
            out.append((f"node/{node.get('id')}", kind, *lonlat))
    return out


def along_lines(
    model: SiteModel, geometry: SiteGeometry, spacing_m: float
) -> list[tuple[str, str, float, float]]:
    """(id, layer, x, y) every `spacing_m` along road and trail centre-lines, one per spot."""
    seen: set[tuple[int, int]] = set()
    out: list[tuple[str, str, float, float]] = []
    # Points closer than half the spacing (at junctions, on parallel ways) are one spot.
    snap = spacing_m / 2
    for layer in ("roads", "trails"):
        for feature in model.layer(layer):
            line = geometry.geometry_to_metres(feature.geometry)
            steps = max(1, math.ceil(line.length / spacing_m))
            for k in range(steps + 1):
                point = line.interpolate(min(k * spacing_m, line.length))
                key = (int(point.x // snap), int(point.y // snap))
                if key in seen:
                    continue
                seen.add(key)
                out.append((f"{feature.osm_id}@{k * spacing_m:.0f}m", layer, point.x, point.y))
    return out


def candidate_positions(
    model: SiteModel,
    geometry: SiteGeometry,
    planning: PlanningConfig,
    source: CandidateSource,
    osm_path: Path | None,
) -> list[Position]:
    """Lamps and poles from OSM (source osm, or auto when there are any), else road points.

    Points inside a building are dropped; more than `planning.max_candidates` are thinned
    evenly. Raises ValueError when `osm` is asked for and the
    file has no lamp or pole node (PlacementError).
    """
    poles = osm_poles(osm_path) if osm_path is not None and source != "roads" else []
    if source == "osm" and not poles:
        where = osm_path or "the config (no site.osm)"
        raise PlacementError(f"no street-lamp or pole nodes in {where}; use --candidates roads")
    if poles:
        metres = geometry.to_metres([(lon, lat) for _, _, lon, lat in poles])
        rows = [(p[0], p[1], float(m[0]), float(m[1])) for p, m in zip(poles, metres, strict=True)]
    else:
        rows = along_lines(model, geometry, planning.candidate_spacing_m)
    if not rows:
        return []
    xy = np.array([(r[2], r[3]) for r in rows], dtype=np.float64)
    inside = set()
    if geometry.buildings:
        hits = geometry.tree.query(shapely.points(xy), predicate="within")
        inside = {int(i) for i in hits[0]}
    lonlat = geometry.to_lonlat(xy)
    kept = [
        Position(r[0], r[1], r[2], r[3], float(lonlat[i][0]), float(lonlat[i][1]))
        for i, r in enumerate(rows)
        if i not in inside
    ]
    if len(kept) <= planning.max_candidates:
        return kept
    # Every n-th along the ways keeps the spread even across the district.
    picks = np.linspace(0, len(kept) - 1, planning.max_candidates).round().astype(int)
    return [kept[int(i)] for i in picks]


def mount_options(
    positions: Sequence[Position],
    geometry: SiteGeometry,
    planning: PlanningConfig,
    advance: Callable[[int], None] | None = None,
) -> list[Option]:
    """Every heading x lens at every position, with its footprint (occluded, site metres).

    The views of one position share its lens, so the buildings' shadows are computed once
    per position (within the longest range) and cut out of each view's ground polygon.
    """
    headings = [360.0 * k / planning.headings for k in range(planning.headings)]
    longest = max(lens.range_m for lens in planning.lenses)
    options: list[Option] = []
    for index, position in enumerate(positions):
        eye = (position.x, position.y)
        reach = shapely.Point(*eye).buffer(longest + 1.0)
        hidden = (
            geometry.hidden(eye, planning.mount_height_m, reach) if geometry.buildings else None
        )
        for lens in planning.lenses:
            for heading in headings:
                placement = PlacementConfig(
                    lon=position.lon,
                    lat=position.lat,
                    heading_deg=heading,
                    fov_deg=lens.fov_deg,
                    range_m=lens.range_m,
                    height_m=planning.mount_height_m,
                    tilt_deg=planning.tilt_deg,
                    resolution=planning.resolution,
                )
                view = CameraView(
                    camera_id=position.position_id,
                    lon=position.lon,
                    lat=position.lat,
                    height_m=placement.height_m,
                    range_m=lens.range_m,
                    homography=mounting_homography(placement),
                    source="candidate",
                )
                ground = affinity.translate(raw_footprint(view), *eye)
                if hidden is not None and not ground.is_empty:
                    ground = ground.difference(hidden)
                options.append(Option(index, heading, lens.fov_deg, lens.range_m, ground))
        if advance is not None:
            advance(1)
    return options
