"""Flood what-ifs: a sample drainage network of the district's streets, storms, SWMM runs."""

from cctwin.scenarios.flood.files import load_flood_scenario, parse_flood_scenario
from cctwin.scenarios.flood.result import CameraFlood, FloodNode, FloodResult
from cctwin.scenarios.flood.run import FloodSimulationError
from cctwin.scenarios.flood.scenario import FloodScenario
from cctwin.scenarios.flood.simulate import network_for, run_flood

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
