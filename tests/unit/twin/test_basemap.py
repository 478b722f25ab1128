"""`site.basemap`: offline by default, a PMTiles archive when configured, shown by /api/site."""

from pathlib import Path

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")
REPO = Path(__file__).resolve().parents[3]
CONFIG = """
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
site: {{center: [126.9516, 37.5442]{basemap}}}
"""


def _config(tmp_path: Path, basemap: str = "") -> str:
    return CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "m", basemap=basemap)


def test_offline_unless_a_pmtiles_archive_is_configured(tmp_path: Path) -> None:
    assert parse_config(_config(tmp_path)).site.basemap.type == "offline"
    text = _config(tmp_path, ", basemap: {type: pmtiles, url: /tiles/seoul.pmtiles}")
    basemap = parse_config(text).site.basemap
    assert basemap.type == "pmtiles"
    assert basemap.model_dump(mode="json")["tiles"] == "vector"
    with pytest.raises(ConfigError, match=r"basemap\.pmtiles\.url"):
        parse_config(_config(tmp_path, ", basemap: {type: pmtiles, url: 'ftp://x'}"))


def test_the_site_tells_the_page_its_basemap(tmp_path: Path) -> None:
    text = _config(tmp_path, ", basemap: {type: pmtiles, url: /tiles/seoul.pmtiles, tiles: raster}")
    services = Services(parse_config(text), start_workers=False)
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as client:
        client.headers.update(grant(services.store, "viewer", "operator"))
        body = client.get("/api/site").json()
    assert body["basemap"] == {
        "type": "pmtiles",
        "url": "/tiles/seoul.pmtiles",
        "tiles": "raster",
        "attribution": "",
    }
    assert (REPO / "web" / "basemap.js").exists()
