"""A small OSM XML extract of a bounding box: the ways the twin uses, complete, and their nodes."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]

from cctwin.twin.osm import classify

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"


def _tags(element: Element) -> dict[str, str]:
    return {t.get("k", ""): t.get("v", "") for t in element.iter("tag")}


def _copy(parent: Element, element: Element, attrs: tuple[str, ...]) -> Element:
    # Only ids, coordinates and tags: user names and changesets are not needed by the twin.
    out = SubElement(parent, element.tag, {k: element.get(k, "") for k in attrs if element.get(k)})
    for child in element:
        if child.tag in ("tag", "nd", "member"):
            SubElement(out, child.tag, dict(child.attrib))
    return out


def extract_osm(
    source: Path, target: Path, bbox: tuple[float, float, float, float]
) -> dict[str, int]:
    """Write the features of `source` the twin uses that touch bbox (lon/lat min, max) to `target`.

    Ways are kept whole (with nodes outside the box) so that no outline is cut open.
    """
    west, south, east, north = bbox
    root = SafeET.parse(str(source)).getroot()
    nodes = {n.get("id", ""): n for n in root.iter("node")}

    def inside(node: Element) -> bool:
        lon, lat = float(node.get("lon", "nan")), float(node.get("lat", "nan"))
        return west <= lon <= east and south <= lat <= north

    ways = {}
    for way in root.iter("way"):
        refs = [nd.get("ref", "") for nd in way.iter("nd")]
        wanted = classify(_tags(way), is_point=False) is not None
        if wanted and all(r in nodes for r in refs) and any(inside(nodes[r]) for r in refs):
            ways[way.get("id", "")] = way
    relations = [
        r
        for r in root.iter("relation")
        if _tags(r).get("type") == "multipolygon"
        and classify(_tags(r), is_point=False) is not None
        and any(m.get("ref") in ways for m in r.iter("member") if m.get("type") == "way")
    ]
    node_ids = {nd.get("ref", "") for w in ways.values() for nd in w.iter("nd")}
    pois = {i for i, n in nodes.items() if inside(n) and classify(_tags(n), is_point=True)}
    out = Element(
        "osm",
        {
            "version": "0.6",
            "generator": "cctwin twin extract-osm",
            "copyright": "OpenStreetMap and contributors",
            "attribution": "http://www.openstreetmap.org/copyright",
            "license": "http://opendatacommons.org/licenses/odbl/1-0/",
        },
    )
    SubElement(
        out,
        "bounds",
        {"minlon": str(west), "minlat": str(south), "maxlon": str(east), "maxlat": str(north)},
    )
    for node_id in sorted(node_ids | pois, key=int):
        _copy(out, nodes[node_id], ("id", "lat", "lon"))
    for way_id in sorted(ways, key=int):
        _copy(out, ways[way_id], ("id",))
    for relation in relations:
        _copy(out, relation, ("id",))
    tree = ElementTree(out)
    indent(tree, space=" ")
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return {"nodes": len(node_ids | pois), "ways": len(ways), "relations": len(relations)}
