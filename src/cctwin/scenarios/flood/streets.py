"""The street graph a drainage network follows: nodes where streets meet, end or split."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import LineString  # type: ignore[import-untyped]

from cctwin.scenarios.flood.scenario import FloodNetworkOptions
from cctwin.twin.footprint import SiteGeometry
from cctwin.twin.osm import SiteModel

# A street whose OSM way has no usable width drains a carriageway this wide.
DEFAULT_WIDTH_M = 6.0


@dataclass(slots=True)
class Streets:
    points: Any  # (n, 2) metres
    edges: list[tuple[int, int, float, float]]  # a, b, length, road width


def street_graph(model: SiteModel, geometry: SiteGeometry, options: FloodNetworkOptions) -> Streets:
    """Street vertices where streets meet or end, split to `max_conduit_m`, close ones merged."""
    lines = []
    for road in model.layer("roads"):
        parts = getattr(road.geometry, "geoms", [road.geometry])
        for part in parts:
            metres = geometry.geometry_to_metres(part)
            if metres.length > 0:
                lines.append((metres, road.width_m or DEFAULT_WIDTH_M))
    keys: dict[tuple[int, int], int] = {}
    counts: dict[tuple[int, int], int] = {}
    for line, _ in lines:
        coords = list(line.coords)
        for k, (x, y) in enumerate(coords):
            key = (round(x * 10), round(y * 10))
            ends = 2 if k in (0, len(coords) - 1) else 1
            counts[key] = counts.get(key, 0) + ends
    points: list[tuple[float, float]] = []
    raw_edges: list[tuple[int, int, float]] = []

    def node(x: float, y: float) -> int:
        key = (round(x * 10), round(y * 10))
        if key not in keys:
            keys[key] = len(points)
            points.append((x, y))
        return keys[key]

    for line, width in lines:
        coords = list(line.coords)
        start = 0
        for k in range(1, len(coords)):
            key = (round(coords[k][0] * 10), round(coords[k][1] * 10))
            if k == len(coords) - 1 or counts.get(key, 0) >= 2:
                segment = LineString(coords[start : k + 1])
                # (less a millimetre: a street of exactly two pipe lengths is two pipes)
                pieces = max(1, math.ceil((segment.length - 1e-3) / options.max_conduit_m))
                cuts = [segment.interpolate(segment.length * p / pieces) for p in range(pieces + 1)]
                ids = [node(c.x, c.y) for c in cuts]
                raw_edges.extend((a, b, width) for a, b in itertools.pairwise(ids))
                start = k
    return _merge_close(np.array(points, dtype=np.float64), raw_edges, options.merge_nodes_m)


def _merge_close(points: Any, raw_edges: list[tuple[int, int, float]], radius: float) -> Streets:
    """Union nodes closer than `radius` (two carriageways, offset junctions): short pipes are
    what makes a dynamic-wave model unstable."""
    from scipy.spatial import cKDTree

    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if radius > 0 and len(points) > 1:
        for a, b in cKDTree(points).query_pairs(radius):
            parent[find(a)] = find(b)
    roots = sorted({find(i) for i in range(len(points))})
    index = {root: k for k, root in enumerate(roots)}
    members: dict[int, list[int]] = {}
    for i in range(len(points)):
        members.setdefault(index[find(i)], []).append(i)
    merged = np.array([points[members[k]].mean(axis=0) for k in range(len(roots))])
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for a, b, width in raw_edges:
        u, v = index[find(a)], index[find(b)]
        if u == v:
            continue
        key = (min(u, v), max(u, v))
        length = float(np.hypot(*(merged[u] - merged[v])))
        edges[key] = (length, max(width, edges.get(key, (0.0, 0.0))[1]))
    return Streets(merged, [(a, b, length, width) for (a, b), (length, width) in edges.items()])
