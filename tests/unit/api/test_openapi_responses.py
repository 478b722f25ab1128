"""The API document lists the answers the routes really give: 404 for unknown ids, 409 moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

CONFIG = """
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/alerts/{alert_id}", "get", "404"),
        ("/api/alerts/{alert_id}/transitions", "post", "404"),
        ("/api/alerts/{alert_id}/transitions", "post", "409"),
        ("/api/alerts/{alert_id}/notes", "post", "404"),
        ("/api/cameras/{camera_id}", "get", "404"),
        ("/api/cameras/{camera_id}/live.jpg", "get", "404"),
        ("/api/snapshots/{media_id}.jpg", "get", "404"),
        ("/api/clips/{media_id}.mp4", "get", "404"),
        ("/api/events/{event_id}", "get", "404"),
        ("/api/site/layers/{layer_id}.geojson", "get", "404"),
        ("/api/catalogue", "get", "404"),
    ],
)
def test_documented(tmp_path: Path, path: str, method: str, status: str) -> None:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    document = create_app(Services(config, start_workers=False)).openapi()
    assert status in document["paths"][path][method]["responses"]
