"""OpenStreetMap PBF into the site model, with pyosmium (libosmium's maintained reader)."""

from __future__ import annotations

from pathlib import Path

import osmium
from osmium.osm import Node, Relation, Way
from shapely.geometry import LineString, Point  # type: ignore[import-untyped]

from cctwin.twin.osm import (
    SiteModel,
    SkippedFeature,
    add_feature,
    classify,
    relation_geometry,
)


def read_osm_pbf(path: Path) -> SiteModel:
    """The site model of an OSM PBF file; a way with missing nodes is skipped, named."""
    model = SiteModel()
    ways: dict[str, list[tuple[float, float]]] = {}
    # Locations are attached to way nodes in memory: a district file is a few MB at most.
    for obj in osmium.FileProcessor(str(path)).with_locations():
        tags = {tag.k: tag.v for tag in obj.tags}
        if isinstance(obj, Node):
            if tags and obj.location.valid():
                lonlat = (obj.location.lon, obj.location.lat)
                add_feature(model, f"node/{obj.id}", tags, Point(lonlat))
        elif isinstance(obj, Way):
            _add_way(model, ways, obj, tags)
        elif isinstance(obj, Relation):
            if tags.get("type") != "multipolygon" or classify(tags, is_point=False) is None:
                continue
            members = [(m.type, str(m.ref), m.role) for m in obj.members]
            add_feature(model, f"relation/{obj.id}", tags, relation_geometry(members, ways))
    return model


def _add_way(
    model: SiteModel,
    ways: dict[str, list[tuple[float, float]]],
    way: Way,
    tags: dict[str, str],
) -> None:
    osm_id = f"way/{way.id}"
    coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
    missing = [str(n.ref) for n in way.nodes if not n.location.valid()]
    ways[str(way.id)] = coords
    if classify(tags, is_point=False) is None:
        return
    if missing:
        reason = f"{len(missing)} node(s) missing, e.g. {missing[0]}"
        model.skipped.append(SkippedFeature(osm_id, reason))
    elif len(coords) < 2:
        model.skipped.append(SkippedFeature(osm_id, "fewer than 2 nodes"))
    else:
        add_feature(model, osm_id, tags, LineString(coords))
