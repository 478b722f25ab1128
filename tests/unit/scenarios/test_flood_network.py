"""The generated network of a small street grid: a valid drainage tree, sized pipes, a valid .inp."""

from __future__ import annotations

import math

import pytest

from cctwin.config import Config
from cctwin.scenarios.flood import FloodScenario, network_for
from cctwin.scenarios.flood.inp import write_inp
from cctwin.scenarios.flood.network import (
    MIN_SLOPE,
    STANDARD_DIAMETERS_M,
    full_flow_capacity,
    pipe_diameter,
)
from cctwin.scenarios.flood.scenario import FloodNetworkOptions
from cctwin.scenarios.flood.storms import hyetograph

SCENARIO = FloodScenario(kind="flood", name="grid", storm={"type": "design", "intensity_mm_h": 95})


def test_manning_full_flow_of_a_600_mm_pipe_at_one_percent() -> None:
    # (1/n) A R^(2/3) S^(1/2) with A = 0.2827 m2, R = 0.15 m: 0.61 m3/s, by hand.
    assert full_flow_capacity(0.6, 0.01) == pytest.approx(
        0.2827433 * 0.15 ** (2 / 3) * 0.1 / 0.013, rel=1e-6
    )
    assert pipe_diameter(0.55, 0.01) == 0.6
    assert pipe_diameter(0.0, 0.01) == STANDARD_DIAMETERS_M[0]


def test_grid_network_is_a_drainage_tree_to_its_outfalls(grid: Config) -> None:
    network = network_for(grid, SCENARIO.network)
    inlets = [j for j in network.junctions if not j.outfall]
    outfalls = [j for j in network.junctions if j.outfall]
    assert len(inlets) == 25  # a 5 x 5 street grid: one inlet where streets meet
    assert len(outfalls) == 3
    # Every inlet has exactly one pipe out; following them always ends at an outfall.
    out = {c.upstream: c for c in network.conduits}
    assert len(out) == len(network.conduits) == len(inlets)
    for start in range(len(network.junctions)):
        node, steps = start, 0
        while not network.junctions[node].outfall:
            node, steps = out[node].downstream, steps + 1
            assert steps <= len(network.junctions)
    # Each outfall takes exactly one pipe (SWMM's rule).
    into = [c.downstream for c in network.conduits]
    assert all(into.count(k) == 1 for k, j in enumerate(network.junctions) if j.outfall)


def test_pipes_fall_downstream_and_never_shrink(grid: Config) -> None:
    network = network_for(grid, SCENARIO.network)
    options = FloodNetworkOptions()
    incoming: dict[int, list[float]] = {}
    for c in network.conduits:
        incoming.setdefault(c.downstream, []).append(c.diameter_m)
    for c in network.conduits:
        up, down = network.junctions[c.upstream], network.junctions[c.downstream]
        assert (up.invert_m - down.invert_m) / c.length_m >= MIN_SLOPE - 1e-9
        assert c.diameter_m in STANDARD_DIAMETERS_M
        assert c.diameter_m >= max(incoming.get(c.upstream, [0.0]))
        assert up.ground_m - up.invert_m >= options.min_cover_m + c.diameter_m - 1e-9
        assert c.capacity_m3_s >= c.design_flow_m3_s  # sized for the design rain


def test_catchments_cover_the_blocks_and_drain_to_inlets(grid: Config) -> None:
    network = network_for(grid, SCENARIO.network)
    # The 320 m grid plus the 30 m band around it, with rounded corners (coarse buffers).
    assert network.area_m2 == pytest.approx(380**2 - (4 - math.pi) * 30**2, rel=0.02)
    assert all(not network.junctions[c.outlet].outfall for c in network.catchments)
    # Streets and roofs are sealed, the yards mostly: between the two bounds of the rule.
    assert all(0.6 <= c.impervious <= 1.0 for c in network.catchments)


def test_design_flow_follows_the_rational_method(grid: Config) -> None:
    network = network_for(grid, SCENARIO.network)
    total = network.conduits[0]  # outlet pipes carry everything upstream of them
    outlets = [c for c in network.conduits if network.junctions[c.downstream].outfall]
    runoff = sum(
        (0.95 * c.impervious + 0.3 * (1 - c.impervious)) * c.area_m2 for c in network.catchments
    )
    # Q = C i(tc) A: every outlet runs at an intensity between i(tc) bounds 5 min .. 60 min.
    lowest, highest = runoff * 95 / 3.6e6, runoff * 240 / 3.6e6
    assert lowest < sum(c.design_flow_m3_s for c in outlets) < highest
    assert total.design_flow_m3_s > 0


def test_inp_has_every_section_and_element(grid: Config) -> None:
    network = network_for(grid, SCENARIO.network)
    text = write_inp(network, hyetograph(SCENARIO), SCENARIO)
    for section in ("[OPTIONS]", "[RAINGAGES]", "[SUBCATCHMENTS]", "[JUNCTIONS]", "[OUTFALLS]"):
        assert section in text
    assert "ALLOW_PONDING        YES" in text
    assert "FLOW_ROUTING         DYNWAVE" in text
    junction_lines = text.split("[JUNCTIONS]")[1].split("[OUTFALLS]")[0].strip().splitlines()
    assert len(junction_lines) - 1 == 25
    assert text.count("\nrain ") == 72 + 1  # 5-minute blocks for 6 h, then zero
