"""Fixtures of the NGSI-LD tests: a service without workers and an integrator's client."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import grant
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.config.loader import parse_config

CONFIG = """
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""


@pytest.fixture
def services(tmp_path: Path) -> Services:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    return Services(config, start_workers=False)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as test_client:
        # An integrator reads and writes the twin (VIEW_TWIN, WRITE_TWIN).
        test_client.headers.update(grant(services.store, "ngsi-tests", "integrator"))
        yield test_client
