"""The site model in the twin: Building entities once, densities over the visible walkable area."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import observation_of

from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.messages import ObservationKind

REPO = Path(__file__).resolve().parents[3]
OSM = REPO / "config" / "site" / "gongdeok.osm"
CONFIG = """
cameras:
  - id: cam-1
    source: {{url: clip.mp4}}
    placement: {{lon: 126.9510, lat: 37.5444, heading_deg: 120, fov_deg: 70, range_m: 60}}
    analytics:
      zones: [{{id: plaza, polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}}]
site: {{osm: {osm}, center: [126.9515, 37.5441]}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""
AT = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
ZONE = "urn:ngsi-ld:CrowdFlowObserved:cam-1:plaza"

pytestmark = pytest.mark.skipif(not OSM.exists(), reason=f"{OSM} is absent")


@pytest.fixture
def services(tmp_path: Path) -> Services:
    text = CONFIG.format(osm=OSM, db=tmp_path / "db.sqlite", media=tmp_path / "m")
    return Services(parse_config(text), start_workers=False)


def test_buildings_are_published_once_with_height_and_footprint(services: Services) -> None:
    created = services.twin.load_site()
    assert created > 50  # the Gongdeok extract has hundreds of buildings
    terms = services.ngsi.contexts.terms(None)
    buildings = list(services.ngsi_store.scan_entities([terms.expand("Building")], None))
    assert len(buildings) == created
    one = buildings[0]
    location = one.attrs[terms.expand("location")]["value"]
    assert location["type"] in ("Polygon", "MultiPolygon")
    assert one.attrs[terms.expand("height")]["value"] > 0
    assert services.twin.load_site() == 0  # at the next start nothing is written again


def test_density_is_people_over_the_visible_walkable_area(services: Services) -> None:
    services.twin.load_site()
    area = services.twin.walkable[("cam-1", "plaza")]
    assert 10 < area < 5000
    facts = [
        observation_of(ObservationKind.CROWD_COUNT, "cam-1", "plaza", AT, 40.0),
        observation_of(ObservationKind.CROWD_DENSITY, "cam-1", "plaza", AT, 9.9, level="caution"),
    ]
    (zone,) = [b for b in services.twin.project(facts) if b["id"] == ZONE]
    assert zone["density"]["value"] == pytest.approx(40 / area, abs=1e-4)
    assert zone["visibleWalkableArea"]["value"] == pytest.approx(area, abs=0.1)
    assert zone["riskLevel"]["value"] == "caution"  # the level still comes from analytics
