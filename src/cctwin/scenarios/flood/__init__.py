"""Flood what-ifs: a sample drainage network of the district's streets, storms, SWMM runs.

The names below load on first use (PEP 562), so `cctwin twin --help` does not pay for pydantic
models, scipy and shapely; type checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cctwin.scenarios.flood.files import load_flood_scenario, parse_flood_scenario
    from cctwin.scenarios.flood.result import CameraFlood, FloodNode, FloodResult
    from cctwin.scenarios.flood.run import FloodSimulationError
    from cctwin.scenarios.flood.scenario import FloodScenario
    from cctwin.scenarios.flood.simulate import network_for, run_flood

_HOMES = {
    "load_flood_scenario": "files",
    "parse_flood_scenario": "files",
    "CameraFlood": "result",
    "FloodNode": "result",
    "FloodResult": "result",
    "FloodSimulationError": "run",
    "FloodScenario": "scenario",
    "network_for": "simulate",
    "run_flood": "simulate",
}

__all__ = [
    "CameraFlood",
    "FloodNode",
    "FloodResult",
    "FloodScenario",
    "FloodSimulationError",
    "load_flood_scenario",
    "network_for",
    "parse_flood_scenario",
    "run_flood",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
