"""Site model import: layers, heights, widths, and broken geometry skipped by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.twin.extract import extract_osm
from cctwin.twin.osm import read_geojson, read_osm_xml, read_site_file

# A 40 m grid near Gongdeok: node n at (lon0 + dx, lat0 + dy).
LON0, LAT0, STEP = 126.9500, 37.5440, 0.0004


def _node(node_id: int, i: float, j: float, tags: str = "") -> str:
    return f'<node id="{node_id}" lon="{LON0 + i * STEP:.7f}" lat="{LAT0 + j * STEP:.7f}">{tags}</node>'


def _way(way_id: int, refs: list[int], tags: dict[str, str]) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{way_id}">{nds}{tag_xml}</way>'


def _square(first: int, i: float, j: float) -> list[str]:
    return [
        _node(first, i, j),
        _node(first + 1, i + 1, j),
        _node(first + 2, i + 1, j + 1),
        _node(first + 3, i, j + 1),
    ]


@pytest.fixture
def osm_file(tmp_path: Path) -> Path:
    nodes = [
        *_square(10, 0, 0),
        *_square(20, 2, 0),
        *_square(30, 4, 0),
        *_square(40, 6, 0),
        *_square(50, 0, 3),
        _node(60, 0, 5),
        _node(61, 5, 5),
        _node(62, 0, 6),
        _node(63, 5, 6),
        _node(70, 1, 7, '<tag k="amenity" v="cafe"/><tag k="name" v="카페"/>'),
        _node(71, 2, 7),  # untagged: not a POI
    ]
    ways = [
        _way(100, [10, 11, 12, 13, 10], {"building": "yes", "height": "21.5 m"}),
        _way(101, [20, 21, 22, 23, 20], {"building": "yes", "building:levels": "4"}),
        _way(102, [30, 31, 32, 33, 30], {"building": "yes"}),
        # A bow tie: the outline crosses itself.
        _way(103, [40, 42, 41, 43, 40], {"building": "yes"}),
        _way(104, [50, 51, 52, 53, 50], {"leisure": "park", "name": "공원"}),
        _way(105, [60, 61], {"highway": "primary", "width": "18"}),
        _way(106, [62, 63], {"highway": "residential"}),
        _way(107, [60, 62], {"highway": "footway"}),
        _way(108, [60, 999], {"highway": "service"}),  # node 999 is not in the file
        _way(109, [10, 11, 12], {"building": "yes"}),  # not closed
        _way(110, [60, 61], {"power": "line"}),  # not used by the twin
    ]
    path = tmp_path / "district.osm"
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{"".join(nodes + ways)}</osm>')
    return path


def test_osm_layers_heights_widths_and_skipped(osm_file: Path) -> None:
    model = read_osm_xml(osm_file)
    assert model.counts() == {"roads": 2, "buildings": 3, "parks": 1, "trails": 1, "pois": 1}
    heights = {f.osm_id: f.height_m for f in model.layer("buildings")}
    assert heights == {"way/100": 21.5, "way/101": 12.0, "way/102": 9.0}
    widths = {f.osm_id: f.width_m for f in model.layer("roads")}
    assert widths == {"way/105": 18.0, "way/106": 6.0}
    assert model.layer("pois")[0].name == "카페"
    skipped = {s.osm_id: s.reason for s in model.skipped}
    assert set(skipped) == {"way/103", "way/108", "way/109"}
    assert "Self-intersection" in skipped["way/103"]
    assert "999" in skipped["way/108"]
    assert "not closed" in skipped["way/109"]


def test_layer_geojson_carries_height_for_extrusion(osm_file: Path) -> None:
    collection = read_osm_xml(osm_file).geojson("buildings")
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["height_m"] == 21.5
    assert feature["properties"]["osm_id"] == "way/100"


def test_import_site_command_prints_counts_and_skipped(osm_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "layers"
    result = CliRunner().invoke(
        app, ["twin", "import-site", "--osm", str(osm_file), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "buildings" in result.output
    assert "skipped way/103" in result.output
    buildings = json.loads((out / "buildings.geojson").read_text())
    assert len(buildings["features"]) == 3
    as_json = CliRunner().invoke(app, ["twin", "import-site", "--osm", str(osm_file), "--json"])
    report = json.loads(as_json.output)
    assert report["layers"]["trails"] == 1
    assert {s["osm_id"] for s in report["skipped"]} == {"way/103", "way/108", "way/109"}


def test_geojson_import_forces_kind_and_skips_broken(tmp_path: Path) -> None:
    square = [
        [[126.95, 37.54], [126.951, 37.54], [126.951, 37.541], [126.95, 37.541], [126.95, 37.54]]
    ]
    bowtie = [
        [[126.95, 37.54], [126.951, 37.541], [126.951, 37.54], [126.95, 37.541], [126.95, 37.54]]
    ]
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"osm_id": 1, "building:levels": "10"},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"osm_id": 2},
                "geometry": {"type": "Polygon", "coordinates": bowtie},
            },
            {"type": "Feature", "properties": {"osm_id": 3}, "geometry": {"type": "Polygon"}},
        ],
    }
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(data))
    model = read_geojson(path, kind="buildings")
    assert [(f.osm_id, f.height_m) for f in model.layer("buildings")] == [("1", 30.0)]
    assert {s.osm_id for s in model.skipped} == {"2", "3"}


def test_extract_keeps_whole_ways_touching_the_box(osm_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "small.osm"
    # Only node 10 lies in this box: the first building and the unclosed one use it.
    box = (LON0 - STEP / 2, LAT0 - STEP / 2, LON0 + STEP / 2, LAT0 + STEP / 2)
    counts = extract_osm(osm_file, target, box)
    assert counts["ways"] == 2
    model = read_osm_xml(target)
    assert [f.osm_id for f in model.features] == ["way/100"]
    assert [s.osm_id for s in model.skipped] == ["way/109"]
    assert model.layer("buildings")[0].geometry.area > 0
    assert "OpenStreetMap" in target.read_text()


def test_pbf_reads_the_same_layers_and_skips_as_xml(osm_file: Path, tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "district.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(osm_file)):
        if obj.is_node():
            writer.add_node(obj)
        elif obj.is_way():
            writer.add_way(obj)
        else:
            writer.add_relation(obj)
    writer.close()
    from_xml, from_pbf = read_osm_xml(osm_file), read_site_file(pbf)
    assert from_pbf.counts() == from_xml.counts()
    assert {f.osm_id: f.height_m for f in from_pbf.layer("buildings")} == {
        f.osm_id: f.height_m for f in from_xml.layer("buildings")
    }
    assert {s.osm_id for s in from_pbf.skipped} == {"way/103", "way/108", "way/109"}
