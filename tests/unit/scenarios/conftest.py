"""Fixtures of the scenario tests: the generated street grid as a config."""

from __future__ import annotations

from pathlib import Path

import pytest
from flood_grid import grid_config

from cctwin.config import Config


@pytest.fixture
def grid(tmp_path: Path) -> Config:
    return grid_config(tmp_path)
