"""A sample drainage network from the site's streets: inlets, conduits, outfalls, block catchments.

Generated, not surveyed (docs/flood.md): inlets at street nodes, one pipe per street segment
of a drainage tree that runs to the lowest street ends, catchments from the blocks the streets
enclose, pipes sized by the rational method for the design rain with Manning full flow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely.geometry import LineString  # type: ignore[import-untyped]
from shapely.ops import polygonize, unary_union  # type: ignore[import-untyped]

from cctwin.scenarios.flood.scenario import FloodNetworkOptions
from cctwin.scenarios.flood.storms import idf_intensity
from cctwin.scenarios.flood.streets import Streets, street_graph
from cctwin.twin.footprint import SiteGeometry
from cctwin.twin.osm import SiteModel

# Korean sewer standards (하수도시설기준): storm sewers at least 250 mm, concrete pipe n = 0.013,
# minimum grade such that full pipes run at 0.8 m/s or more; standard diameters below.
STANDARD_DIAMETERS_M = (
    0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 1.65,
    1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0,
)  # fmt: skip
MANNING_N = 0.013
MIN_SLOPE = 0.003
# Rational method: 5 minutes of overland flow to the first inlet, then pipe travel at the full
# pipe velocity (the 0.8 m/s minimum of the standard in pipes that run slower).
INLET_TIME_MIN = 5.0
MIN_VELOCITY_M_S = 0.8
# Runoff coefficients of sealed and open ground (rational method C): the upper end of the
# standard tables (roofs and pavements 0.85-0.95; open ground 0.1-0.3) because a 6-hour design
# storm has soaked the ground by its peak, when the pipes run fullest.
C_IMPERVIOUS, C_PERVIOUS = 0.95, 0.3
# Share of open ground (yards, car parks, pavements) that is sealed in a dense Seoul block;
# park ground is mostly pervious.
OPEN_GROUND_IMPERVIOUS, PARK_IMPERVIOUS = 0.6, 0.1
# An uphill metre costs as much as this many metres of street when choosing where water drains.
UPHILL_PENALTY = 50.0
# The ponding area of an inlet is the street around it, at least this much.
MIN_PONDED_AREA_M2 = 50.0
# The pipe from the lowest street node to its outfall (the trunk sewer beyond the map).
OUTLET_PIPE_M = 10.0
# Street ends within this of a chosen outfall are not outfalls too (spread them out).
OUTFALL_SPACING_M = 150.0
_MIN_COMPONENT_NODES = 3
_BLOCK_EDGE_M = 30.0


@dataclass(slots=True)
class Junction:
    """An inlet (or an outfall) at a street node, in site metres, with its catchment."""

    id: str
    x: float
    y: float
    lon: float
    lat: float
    ground_m: float
    invert_m: float = 0.0
    outfall: bool = False
    ponded_area_m2: float = MIN_PONDED_AREA_M2


@dataclass(slots=True)
class Conduit:
    """A circular pipe from one node to the next one downstream along a street."""

    id: str
    upstream: int
    downstream: int
    length_m: float
    diameter_m: float = STANDARD_DIAMETERS_M[0]
    design_flow_m3_s: float = 0.0
    capacity_m3_s: float = 0.0


@dataclass(slots=True)
class Catchment:
    """A block (or the part of one) draining to one inlet."""

    id: str
    outlet: int
    area_m2: float
    impervious: float
    outline: Any  # shapely Polygon in site metres
    slope: float


@dataclass(slots=True)
class DrainageNetwork:
    """The generated network: nodes, pipes and catchments, in metres around `origin`."""

    origin: tuple[float, float]
    junctions: list[Junction] = field(default_factory=list)
    conduits: list[Conduit] = field(default_factory=list)
    catchments: list[Catchment] = field(default_factory=list)
    design_intensity_mm_h: float = 95.0

    @property
    def area_m2(self) -> float:
        return float(sum(c.area_m2 for c in self.catchments))

    def geojson(self) -> dict[str, object]:
        """Nodes (kind inlet / outfall) and pipes (kind conduit) in WGS84."""
        features: list[dict[str, object]] = []
        for c in self.conduits:
            a, b = self.junctions[c.upstream], self.junctions[c.downstream]
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kind": "conduit",
                        "id": c.id,
                        "diameter_m": c.diameter_m,
                        "length_m": round(c.length_m, 1),
                        "design_flow_m3_s": round(c.design_flow_m3_s, 3),
                        "capacity_m3_s": round(c.capacity_m3_s, 3),
                    },
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[a.lon, a.lat], [b.lon, b.lat]],
                    },
                }
            )
        for j in self.junctions:
            features.append(
                {
                    "type": "Feature",
                    "id": j.id,
                    "properties": {
                        "kind": "outfall" if j.outfall else "inlet",
                        "id": j.id,
                        "ground_m": round(j.ground_m, 2),
                        "invert_m": round(j.invert_m, 2),
                    },
                    "geometry": {"type": "Point", "coordinates": [j.lon, j.lat]},
                }
            )
        return {"type": "FeatureCollection", "features": features}


def ground_level(x: float, y: float, options: FloodNetworkOptions) -> float:
    """The assumed ground (no DEM): a plane through the centre falling toward a bearing."""
    bearing = math.radians(options.fall_toward_deg)
    along = x * math.sin(bearing) + y * math.cos(bearing)
    return options.ground_elevation_m - options.ground_slope * along


def full_flow_capacity(diameter_m: float, slope: float) -> float:
    """Manning full-pipe flow (m3/s) of a circular pipe: (1/n) A R^(2/3) S^(1/2)."""
    area = math.pi * diameter_m**2 / 4
    return float(area * (diameter_m / 4) ** (2 / 3) * math.sqrt(slope) / MANNING_N)


def pipe_diameter(flow_m3_s: float, slope: float) -> float:
    """The smallest standard diameter that carries `flow` full; the largest one otherwise."""
    for diameter in STANDARD_DIAMETERS_M:
        if full_flow_capacity(diameter, slope) >= flow_m3_s:
            return diameter
    return STANDARD_DIAMETERS_M[-1]


# --- the drainage tree ------------------------------------------------------------------------


def build_network(
    model: SiteModel, geometry: SiteGeometry, options: FloodNetworkOptions
) -> DrainageNetwork:
    """The sample network of the site's streets; ValueError when it has too few streets."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra

    streets = street_graph(model, geometry, options)
    n = len(streets.points)
    if n < _MIN_COMPONENT_NODES or not streets.edges:
        raise ValueError("the site model has too few streets (roads) to build a drainage network")
    ground = np.array([ground_level(x, y, options) for x, y in streets.points])
    a, b, length = (np.array([e[k] for e in streets.edges]) for k in range(3))
    a, b = a.astype(int), b.astype(int)
    _, labels = connected_components(coo_matrix((length, (a, b)), shape=(n, n)), directed=False)
    outfalls = _outfalls(streets, ground, labels, options.outfalls)
    # Dijkstra from the outfalls walks against the flow: an edge p -> c carries water c -> p,
    # which costs its length plus a penalty for every metre the water would have to climb.
    forward = length + UPHILL_PENALTY * np.maximum(0.0, ground[a] - ground[b])
    backward = length + UPHILL_PENALTY * np.maximum(0.0, ground[b] - ground[a])
    graph = coo_matrix(
        (np.concatenate([forward, backward]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(n, n),
    ).tocsr()
    dist, pred, _ = dijkstra(graph, indices=outfalls, min_only=True, return_predecessors=True)
    kept = [i for i in range(n) if np.isfinite(dist[i])]
    network = _tree(streets, ground, dist, pred, kept, set(outfalls), geometry, options)
    network.catchments = _catchments(model, geometry, network, streets)
    _size_pipes(network, options)
    return network


def _outfalls(streets: Streets, ground: Any, labels: Any, wanted: int) -> list[int]:
    """The lowest street ends of each network (several, spread out, for the largest one)."""
    degree = np.zeros(len(streets.points), dtype=int)
    for a, b, _, _ in streets.edges:
        degree[a] += 1
        degree[b] += 1
    sizes = np.bincount(labels)
    largest = int(np.argmax(sizes))
    chosen: list[int] = []
    for label in range(len(sizes)):
        if sizes[label] < _MIN_COMPONENT_NODES:
            continue
        members = np.flatnonzero(labels == label)
        ends = [int(i) for i in members if degree[i] == 1] or [int(i) for i in members]
        ends.sort(key=lambda i: ground[i])
        picked: list[int] = []
        for i in ends:
            if len(picked) >= (wanted if label == largest else 1):
                break
            if all(
                np.hypot(*(streets.points[i] - streets.points[j])) >= OUTFALL_SPACING_M
                for j in picked
            ):
                picked.append(i)
        chosen.extend(picked)
    return chosen


def _tree(
    streets: Streets,
    ground: Any,
    dist: Any,
    pred: Any,
    kept: list[int],
    outfalls: set[int],
    geometry: SiteGeometry,
    options: FloodNetworkOptions,
) -> DrainageNetwork:
    order = sorted(kept, key=lambda i: dist[i])
    ends = [old for old in order if old in outfalls]
    # SWMM takes one pipe into an outfall: each low street node gets an outlet pipe to its own
    # outfall (the trunk sewer or the river beyond the map). Outfalls come first, then the
    # street nodes in drainage order.
    index = {old: len(ends) + k for k, old in enumerate(order)}
    lonlat = geometry.to_lonlat(streets.points[order]) if order else np.zeros((0, 2))
    network = DrainageNetwork(origin=geometry.origin)
    network.design_intensity_mm_h = options.design_intensity_mm_h
    placed = []
    for k, old in enumerate(order):
        x, y = (float(v) for v in streets.points[old])
        placed.append((x, y, float(lonlat[k][0]), float(lonlat[k][1]), float(ground[old])))
    for n, old in enumerate(ends):
        x, y, lon, lat, z = placed[index[old] - len(ends)]
        network.junctions.append(Junction(f"O{n}", x, y, lon, lat, z, outfall=True))
    for k, old in enumerate(order):
        x, y, lon, lat, z = placed[k]
        new = index[old]
        network.junctions.append(Junction(f"J{k}", x, y, lon, lat, z))
        if old in outfalls:
            network.conduits.append(Conduit(f"C{k}", new, ends.index(old), OUTLET_PIPE_M))
            continue
        down = int(pred[old])
        length = float(np.hypot(*(streets.points[old] - streets.points[down])))
        network.conduits.append(Conduit(f"C{k}", new, index[down], max(length, 1.0)))
    ponded = np.zeros(len(network.junctions))
    for a, b, length, width in streets.edges:
        for end in (a, b):
            if end in index:
                ponded[index[end]] += length * width / 2
    for junction, area in zip(network.junctions, ponded, strict=True):
        junction.ponded_area_m2 = max(float(area), MIN_PONDED_AREA_M2)
    return network


def _catchments(
    model: SiteModel, geometry: SiteGeometry, network: DrainageNetwork, streets: Streets
) -> list[Catchment]:
    """The blocks the streets enclose, and 30 m beyond the outer streets; split among inlets."""
    lines = [LineString([streets.points[a], streets.points[b]]) for a, b, _, _ in streets.edges]
    street_union = unary_union(lines)
    area = _without_holes(shapely.union_all(shapely.buffer(lines, _BLOCK_EDGE_M, quad_segs=2)))
    blocks = [p for p in polygonize(unary_union([street_union, area.boundary])) if p.area > 1.0]
    blocks = [p for p in blocks if area.contains(p.representative_point())]
    # Coarse round ends are plenty for areas (and several times faster to union).
    widths = np.array([width / 2 for _, _, _, width in streets.edges])
    road_surface = shapely.union_all(shapely.buffer(lines, widths, quad_segs=2))
    buildings = unary_union([b.outline for b in geometry.buildings]) if geometry.buildings else None
    parks = [geometry.geometry_to_metres(p.geometry) for p in model.layer("parks")]
    park_union = unary_union(parks) if parks else None
    inlets = [k for k, j in enumerate(network.junctions) if not j.outfall]
    inlets = inlets or list(range(len(network.junctions)))
    # Each inlet drains the part of a block nearest to it (its Voronoi cell): a block's kerb
    # has an inlet every few tens of metres, not one for the whole block.
    sites = shapely.multipoints([(network.junctions[k].x, network.junctions[k].y) for k in inlets])
    cells = list(shapely.voronoi_polygons(sites, extend_to=area, ordered=True).geoms)
    cell_tree = shapely.STRtree(cells)
    slope = max(network_slope(network), 0.005)
    out: list[Catchment] = []
    for block in blocks:
        # Clip the surfaces to the block once: its parts then intersect small shapes only.
        surfaces = _Surfaces.of(block, road_surface, buildings, park_union)
        for cell_index in cell_tree.query(block):
            part = shapely.intersection(block, cells[int(cell_index)])
            if part.area < 1.0:
                continue
            out.append(
                Catchment(
                    id=f"S{len(out)}",
                    outlet=inlets[int(cell_index)],
                    area_m2=float(part.area),
                    impervious=surfaces.impervious(part),
                    outline=part,
                    slope=slope,
                )
            )
    return out


def _without_holes(area: Any) -> Any:
    """The area with its holes filled: the middle of a large block drains to its streets too."""
    parts = getattr(area, "geoms", [area])
    return shapely.union_all([shapely.Polygon(part.exterior) for part in parts])


@dataclass(frozen=True, slots=True)
class _Surfaces:
    """A block's street surface, roofs off the street and park ground off the street."""

    road: Any
    built: Any
    green: Any

    @classmethod
    def of(cls, block: Any, road: Any, buildings: Any, parks: Any) -> _Surfaces:
        local_road = shapely.intersection(block, road)
        off_street = block.difference(local_road)
        built = shapely.intersection(off_street, buildings) if buildings is not None else None
        green = shapely.intersection(off_street, parks) if parks is not None else None
        return cls(local_road, built, green)

    def impervious(self, part: Any) -> float:
        """Sealed share: streets and roofs, most open ground, a little of the parks."""
        sealed = _intersection_area(part, self.road)
        built = _intersection_area(part, self.built)
        green = _intersection_area(part, self.green)
        rest = max(part.area - sealed - built - green, 0.0)
        share = sealed + built + OPEN_GROUND_IMPERVIOUS * rest + PARK_IMPERVIOUS * green
        return float(min(max(share / part.area, 0.0), 1.0))


def network_slope(network: DrainageNetwork) -> float:
    """The mean ground fall along the pipes (m/m), for the catchments' overland slope."""
    falls = [
        abs(network.junctions[c.upstream].ground_m - network.junctions[c.downstream].ground_m)
        / c.length_m
        for c in network.conduits
    ]
    return float(np.mean(falls)) if falls else 0.0


def _intersection_area(block: Any, other: Any) -> float:
    if other is None or other.is_empty:
        return 0.0
    return float(shapely.intersection(block, other).area)


def _size_pipes(network: DrainageNetwork, options: FloodNetworkOptions) -> None:
    """Rational method Q = C i(tc) A for the design rain; Manning full flow; standard sizes.

    Junctions are in drainage order (outfalls first), so walking them backwards visits every
    pipe after all the pipes that feed it.
    """
    count = len(network.junctions)
    area, runoff_area, tc = np.zeros(count), np.zeros(count), np.full(count, INLET_TIME_MIN)
    for catchment in network.catchments:
        c = C_IMPERVIOUS * catchment.impervious + C_PERVIOUS * (1 - catchment.impervious)
        area[catchment.outlet] += catchment.area_m2
        runoff_area[catchment.outlet] += c * catchment.area_m2
    outgoing = {c.upstream: c for c in network.conduits}
    invert = np.array([j.ground_m for j in network.junctions])
    biggest_in = np.zeros(count)
    for node in range(count - 1, -1, -1):
        junction = network.junctions[node]
        conduit = outgoing.get(node)
        if conduit is None:  # an outfall: its pipes are all in
            junction.invert_m = min(
                invert[node], junction.ground_m - options.min_cover_m - biggest_in[node]
            )
            continue
        down = network.junctions[conduit.downstream]
        slope = max(MIN_SLOPE, (junction.ground_m - down.ground_m) / conduit.length_m)
        intensity = idf_intensity(tc[node], options.design_intensity_mm_h)
        conduit.design_flow_m3_s = runoff_area[node] * intensity / 3.6e6
        conduit.diameter_m = float(
            max(pipe_diameter(conduit.design_flow_m3_s, slope), biggest_in[node])
        )
        junction.invert_m = min(
            invert[node], junction.ground_m - options.min_cover_m - conduit.diameter_m
        )
        # Pass everything down: area, runoff, the longest time to here, the bottom of the pipe.
        d = conduit.downstream
        area[d] += area[node]
        runoff_area[d] += runoff_area[node]
        velocity = max(
            full_flow_capacity(conduit.diameter_m, slope) / (math.pi * conduit.diameter_m**2 / 4),
            MIN_VELOCITY_M_S,
        )
        tc[d] = max(tc[d], tc[node] + conduit.length_m / velocity / 60.0)
        invert[d] = min(invert[d], junction.invert_m - slope * conduit.length_m)
        biggest_in[d] = max(biggest_in[d], conduit.diameter_m)
    for conduit in network.conduits:
        up, down = network.junctions[conduit.upstream], network.junctions[conduit.downstream]
        slope = max((up.invert_m - down.invert_m) / conduit.length_m, 1e-4)
        conduit.capacity_m3_s = full_flow_capacity(conduit.diameter_m, slope)
