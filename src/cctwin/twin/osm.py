"""Site model import: OpenStreetMap XML and GeoJSON into roads, buildings, parks, trails, POIs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
from shapely.geometry import LineString, Point, Polygon, mapping, shape  # type: ignore[import-untyped]
from shapely.ops import polygonize, unary_union  # type: ignore[import-untyped]
from shapely.validation import explain_validity  # type: ignore[import-untyped]

LayerKind = Literal["roads", "buildings", "parks", "trails", "pois"]
LAYER_KINDS: tuple[LayerKind, ...] = get_args(LayerKind)

# A storey is about 3 m in Korean apartment and office blocks; most OSM buildings here carry
# no height at all, and a flat map would hide what occludes a camera, so untagged ones get 3.
METRES_PER_LEVEL = 3.0
DEFAULT_LEVELS = 3

# Carriageway width by highway class when `width` is not tagged (lanes x 3.25 m is used first).
ROAD_WIDTH_M: Mapping[str, float] = {
    "motorway": 22.0,
    "trunk": 20.0,
    "primary": 16.0,
    "secondary": 12.0,
    "tertiary": 9.0,
    "unclassified": 6.0,
    "residential": 6.0,
    "living_street": 5.0,
    "service": 4.0,
}
DEFAULT_ROAD_WIDTH_M = 6.0
LANE_WIDTH_M = 3.25
TRAIL_HIGHWAYS = frozenset({"footway", "path", "track", "pedestrian", "steps", "cycleway"})
TRAIL_WIDTH_M = 2.0
PARK_TAGS: Mapping[str, frozenset[str]] = {
    "leisure": frozenset({"park", "garden", "playground", "pitch", "nature_reserve"}),
    "landuse": frozenset({"grass", "recreation_ground", "forest", "village_green", "meadow"}),
    "natural": frozenset({"wood", "scrub", "grassland"}),
}
POI_KEYS = ("amenity", "shop", "tourism", "public_transport", "railway", "historic", "office")

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(m|meters|metres)?\s*$")


@dataclass(frozen=True, slots=True)
class SiteFeature:
    """One feature of the site model, in WGS84 lon/lat, with the tags the twin uses."""

    kind: LayerKind
    osm_id: str
    geometry: Any  # a shapely geometry (shapely ships no types)
    name: str = ""
    height_m: float | None = None
    width_m: float | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_geojson(self) -> dict[str, Any]:
        props: dict[str, Any] = {"kind": self.kind, "osm_id": self.osm_id, "name": self.name}
        if self.height_m is not None:
            props["height_m"] = round(self.height_m, 2)
        if self.width_m is not None:
            props["width_m"] = round(self.width_m, 2)
        for key in ("highway", "building", "leisure", "amenity", "shop", "name:en"):
            if key in self.tags:
                props[key] = self.tags[key]
        return {"type": "Feature", "properties": props, "geometry": mapping(self.geometry)}


@dataclass(frozen=True, slots=True)
class SkippedFeature:
    """A feature the import left out, and why (the operator fixes it in the source)."""

    osm_id: str
    reason: str


@dataclass(slots=True)
class SiteModel:
    """The district's layers, plus what the import had to skip."""

    features: list[SiteFeature] = field(default_factory=list)
    skipped: list[SkippedFeature] = field(default_factory=list)

    def layer(self, kind: LayerKind) -> list[SiteFeature]:
        return [f for f in self.features if f.kind == kind]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.layer(kind)) for kind in LAYER_KINDS}

    def geojson(self, kind: LayerKind) -> dict[str, Any]:
        features = [f.to_geojson() for f in self.layer(kind)]
        return {"type": "FeatureCollection", "features": features}

    def extend(self, other: SiteModel) -> None:
        self.features.extend(other.features)
        self.skipped.extend(other.skipped)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    match = _NUMBER.match(text.replace(",", "."))
    return float(match.group(1)) if match else None


def building_height(tags: Mapping[str, str]) -> float:
    """`height` in metres, else `building:levels` x 3 m, else three storeys."""
    height = _number(tags.get("height"))
    if height is not None and height > 0:
        return height
    levels = _number(tags.get("building:levels"))
    if levels is not None and levels > 0:
        return levels * METRES_PER_LEVEL
    return DEFAULT_LEVELS * METRES_PER_LEVEL


def road_width(tags: Mapping[str, str]) -> float:
    """`width` in metres, else lanes x 3.25 m, else a width typical of the highway class."""
    width = _number(tags.get("width"))
    if width is not None and width > 0:
        return width
    lanes = _number(tags.get("lanes"))
    if lanes is not None and lanes > 0:
        return lanes * LANE_WIDTH_M
    return ROAD_WIDTH_M.get(tags.get("highway", ""), DEFAULT_ROAD_WIDTH_M)


def classify(tags: Mapping[str, str], is_point: bool) -> LayerKind | None:
    """Which layer a tagged OSM element belongs to, or None when the twin does not use it."""
    if is_point:
        wanted = any(k in tags for k in POI_KEYS) or tags.get("highway") == "bus_stop"
        return "pois" if wanted else None
    if "building" in tags and tags["building"] != "no":
        return "buildings"
    highway = tags.get("highway")
    if highway in TRAIL_HIGHWAYS:
        return "trails"
    if highway is not None and highway not in {"bus_stop", "platform", "construction"}:
        return "roads"
    if any(tags.get(key) in values for key, values in PARK_TAGS.items()):
        return "parks"
    return None


def make_feature(
    osm_id: str, tags: Mapping[str, str], geometry: Any
) -> SiteFeature | SkippedFeature | None:
    """The site feature of one element; a SkippedFeature naming it when its geometry is broken."""
    kind = classify(tags, is_point=isinstance(geometry, Point))
    if kind is None:
        return None
    if kind in ("buildings", "parks"):
        if isinstance(geometry, LineString):
            if not geometry.is_closed or len(geometry.coords) < 4:
                return SkippedFeature(osm_id, f"{kind[:-1]} outline is not closed")
            geometry = Polygon(geometry.coords)
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            return SkippedFeature(osm_id, f"{kind[:-1]} is a {geometry.geom_type}, not an area")
    if geometry.is_empty:
        return SkippedFeature(osm_id, "empty geometry")
    if not geometry.is_valid:
        return SkippedFeature(osm_id, f"invalid geometry: {explain_validity(geometry)}")
    return SiteFeature(
        kind=kind,
        osm_id=osm_id,
        geometry=geometry,
        name=tags.get("name:ko") or tags.get("name", ""),
        height_m=building_height(tags) if kind == "buildings" else None,
        width_m=road_width(tags)
        if kind == "roads"
        else (TRAIL_WIDTH_M if kind == "trails" else None),
        tags=dict(tags),
    )


# --- OpenStreetMap XML -------------------------------------------------------------------------


def _tags(element: Element) -> dict[str, str]:
    return {t.get("k", ""): t.get("v", "") for t in element.iter("tag")}


def _way_coords(
    way: Element, nodes: Mapping[str, tuple[float, float]]
) -> tuple[list[tuple[float, float]], list[str]]:
    refs = [nd.get("ref", "") for nd in way.iter("nd")]
    missing = [r for r in refs if r not in nodes]
    return [nodes[r] for r in refs if r in nodes], missing


def relation_geometry(
    members: Iterable[tuple[str, str, str]], ways: Mapping[str, list[tuple[float, float]]]
) -> Any:
    """A multipolygon's area from its (type, ref, role) members: outer rings minus inner rings."""
    outer: list[LineString] = []
    inner: list[LineString] = []
    for member_type, ref, role in members:
        coords = ways.get(ref)
        if member_type not in ("way", "w") or coords is None or len(coords) < 2:
            continue
        (inner if role == "inner" else outer).append(LineString(coords))
    shell = unary_union(list(polygonize(outer)))
    holes = unary_union(list(polygonize(inner)))
    return shell.difference(holes) if not holes.is_empty else shell


def read_osm_xml(path: Path) -> SiteModel:
    """The site model of an OSM XML file (safe parser; missing nodes skip the way, named)."""
    root = SafeET.parse(str(path)).getroot()
    model = SiteModel()
    nodes: dict[str, tuple[float, float]] = {}
    for node in root.iter("node"):
        try:
            lonlat = (float(node.get("lon", "")), float(node.get("lat", "")))
        except ValueError:
            model.skipped.append(SkippedFeature(f"node/{node.get('id')}", "no lon/lat"))
            continue
        nodes[node.get("id", "")] = lonlat
        tags = _tags(node)
        if tags:
            add_feature(model, f"node/{node.get('id')}", tags, Point(lonlat))
    ways: dict[str, list[tuple[float, float]]] = {}
    for way in root.iter("way"):
        osm_id = f"way/{way.get('id')}"
        coords, missing = _way_coords(way, nodes)
        ways[way.get("id", "")] = coords
        tags = _tags(way)
        if classify(tags, is_point=False) is None:
            continue
        if missing:
            model.skipped.append(
                SkippedFeature(osm_id, f"{len(missing)} node(s) missing, e.g. {missing[0]}")
            )
        elif len(coords) < 2:
            model.skipped.append(SkippedFeature(osm_id, "fewer than 2 nodes"))
        else:
            # make_feature turns the closed outline of an area into a polygon.
            add_feature(model, osm_id, tags, LineString(coords))
    for relation in root.iter("relation"):
        tags = _tags(relation)
        if tags.get("type") != "multipolygon" or classify(tags, is_point=False) is None:
            continue
        members = [
            (m.get("type", ""), m.get("ref", ""), m.get("role", ""))
            for m in relation.iter("member")
        ]
        add_feature(model, f"relation/{relation.get('id')}", tags, relation_geometry(members, ways))
    return model


def add_feature(model: SiteModel, osm_id: str, tags: Mapping[str, str], geometry: Any) -> None:
    try:
        made = make_feature(osm_id, tags, geometry)
    except (ValueError, TypeError) as exc:  # shapely rejects some degenerate input outright
        made = SkippedFeature(osm_id, f"invalid geometry: {exc}")
    if isinstance(made, SiteFeature):
        model.features.append(made)
    elif isinstance(made, SkippedFeature):
        model.skipped.append(made)


# --- GeoJSON ---------------------------------------------------------------------------------


def read_geojson(path: Path, kind: LayerKind | None = None) -> SiteModel:
    """The site model of a GeoJSON file; `kind` forces the layer, else OSM-style tags decide."""
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data.get("features", []) if isinstance(data, dict) else []
    model = SiteModel()
    for index, raw in enumerate(features):
        props = raw.get("properties") or {}
        osm_id = str(props.get("osm_id") or raw.get("id") or f"{path.name}#{index}")
        tags = {str(k): str(v) for k, v in props.items() if v is not None}
        try:
            geometry = shape(raw["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            model.skipped.append(SkippedFeature(osm_id, f"unreadable geometry: {exc}"))
            continue
        if kind is not None:
            tags = _forced_tags(kind, tags)
        add_feature(model, osm_id, tags, geometry)
    return model


def _forced_tags(kind: LayerKind, tags: dict[str, str]) -> dict[str, str]:
    # A layer declared as buildings in the config is buildings whatever its properties say.
    forced = {
        "buildings": ("building", "yes"),
        "parks": ("leisure", "park"),
        "trails": ("highway", "footway"),
        "pois": ("amenity", "yes"),
    }
    if kind == "roads":
        return {**tags, "highway": tags.get("highway") or "unclassified"}
    key, value = forced[kind]
    cleaned = {k: v for k, v in tags.items() if k not in ("building", "highway")}
    return {**cleaned, key: tags.get(key) or value}


def read_site_file(path: Path, kind: LayerKind | None = None) -> SiteModel:
    """OSM XML (.osm/.xml), OSM PBF (.pbf) or GeoJSON (.geojson/.json) by file name."""
    if path.suffix.lower() in (".osm", ".xml"):
        return read_osm_xml(path)
    if path.suffix.lower() == ".pbf":
        from cctwin.twin.osm_pbf import read_osm_pbf

        return read_osm_pbf(path)
    return read_geojson(path, kind)


def merge(models: Iterable[SiteModel]) -> SiteModel:
    out = SiteModel()
    for model in models:
        out.extend(model)
    return out
