"""Candidate positions: lamp and pole nodes from OSM when present, else points along the ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctwin.config.planning import PlanningConfig
from cctwin.planning.candidates import (
    PlacementError,
    candidate_positions,
    mount_options,
    osm_poles,
)
from cctwin.twin.layers import site_geometry
from cctwin.twin.osm import read_osm_xml

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lon="126.9500" lat="37.5440"/>
  <node id="2" lon="126.9530" lat="37.5440"/>
  <node id="10" lon="126.9505" lat="37.5441"><tag k="highway" v="street_lamp"/></node>
  <node id="11" lon="126.9515" lat="37.5441"><tag k="power" v="pole"/></node>
  <node id="12" lon="126.9525" lat="37.5441"><tag k="man_made" v="mast"/></node>
  <node id="13" lon="126.9520" lat="37.5441"><tag k="amenity" v="bench"/></node>
  <way id="100"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.fixture
def osm(tmp_path: Path) -> Path:
    path = tmp_path / "site.osm"
    path.write_text(OSM)
    return path


def test_lamps_and_poles_are_read_from_osm(osm: Path) -> None:
    poles = osm_poles(osm)
    assert [(p[0], p[1]) for p in poles] == [
        ("node/10", "street_lamp"),
        ("node/11", "pole"),
        ("node/12", "mast"),
    ]


def test_auto_prefers_poles_and_roads_walks_the_ways(osm: Path) -> None:
    model = read_osm_xml(osm)
    geometry = site_geometry(model, (126.9515, 37.5440))
    planning = PlanningConfig(candidate_spacing_m=50)
    auto = candidate_positions(model, geometry, planning, "auto", osm)
    assert [p.kind for p in auto] == ["street_lamp", "pole", "mast"]
    roads = candidate_positions(model, geometry, planning, "roads", osm)
    # The way is about 265 m long: a point every 50 m, both ends included.
    assert len(roads) == 7
    assert {p.kind for p in roads} == {"roads"}
    thinned = candidate_positions(
        model, geometry, PlanningConfig(candidate_spacing_m=50, max_candidates=3), "roads", osm
    )
    assert [p.position_id for p in thinned] == [
        roads[0].position_id,
        roads[3].position_id,
        roads[6].position_id,
    ]


def test_osm_without_poles_is_refused_and_options_cover_headings_and_lenses(
    osm: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare.osm"
    bare.write_text(OSM.replace("street_lamp", "x").replace("pole", "x").replace("mast", "x"))
    model = read_osm_xml(bare)
    geometry = site_geometry(model, (126.9515, 37.5440))
    with pytest.raises(PlacementError, match="no street-lamp or pole nodes"):
        candidate_positions(model, geometry, PlanningConfig(), "osm", bare)
    positions = candidate_positions(model, geometry, PlanningConfig(), "auto", bare)
    options = mount_options(positions[:1], geometry, PlanningConfig(headings=4))
    assert len(options) == 4 * 2
    assert {(o.heading_deg, o.fov_deg) for o in options} >= {(0.0, 90.0), (270.0, 50.0)}
    assert all(o.ground.area > 50 for o in options)
