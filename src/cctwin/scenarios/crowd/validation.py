"""Check the crowd set-up against a published fundamental diagram (Weidmann 1993).

People fill a straight corridor at a fixed density and walk to its end; their mean speed
in a section the dissolving front has not reached yet is compared with Weidmann's speed-density relation for unidirectional walking:
    v(rho) = v0 * (1 - exp(-gamma * (1/rho - 1/rho_max))),
    v0 = 1.34 m/s, gamma = 1.913 p/m2, rho_max = 5.4 p/m2
(U. Weidmann, Transporttechnik der Fussgaenger, ETH Zuerich, Schriftenreihe IVT 90, 1993).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import jupedsim as jps
import numpy as np
from shapely.geometry import box  # type: ignore[import-untyped]

from cctwin.scenarios.crowd.simulate import AGENT_RADIUS_M

WEIDMANN_V0 = 1.34
WEIDMANN_GAMMA = 1.913
WEIDMANN_RHO_MAX = 5.4
# A straight corridor filled evenly, everyone walking to its far end. CFSM looks only ahead,
# so the back part keeps its density until the wave from the dissolving front reaches it:
# speeds are measured there, before it does.
CORRIDOR_M = (60.0, 3.0)
MEASURE_X = (10.0, 30.0)


def weidmann_speed(density: float) -> float:
    """Weidmann's mean walking speed (m/s) at `density` persons/m2."""
    if density >= WEIDMANN_RHO_MAX:
        return 0.0
    return WEIDMANN_V0 * (1 - math.exp(-WEIDMANN_GAMMA * (1 / density - 1 / WEIDMANN_RHO_MAX)))


@dataclass(frozen=True, slots=True)
class DiagramPoint:
    density: float
    speed: float
    weidmann: float

    @property
    def deviation(self) -> float:
        """Speed difference to Weidmann in m/s (simulated minus published)."""
        return self.speed - self.weidmann


def corridor_point(
    density: float,
    step_s: float = 0.05,
    warmup_s: float = 5.0,
    measure_s: float = 10.0,
    seed: int = 1,
    time_gap_s: float = 0.5,
) -> DiagramPoint:
    """Mean speed and density in the corridor's measurement section after `warmup_s`."""
    length, width = CORRIDOR_M
    corridor = box(0, 0, length, width)
    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=corridor, dt=step_s)
    exit_id = sim.add_exit_stage(box(length - 1, 0, length, width))
    journey_id = sim.add_journey(jps.JourneyDescription([exit_id]))
    spots = jps.distribute_by_density(
        polygon=box(0, 0, length - 2, width),
        density=density,
        distance_to_agents=2 * AGENT_RADIUS_M + 0.02,
        distance_to_polygon=AGENT_RADIUS_M,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    for xy in spots:
        sim.add_agent(
            jps.CollisionFreeSpeedModelAgentParameters(
                position=xy,
                journey_id=journey_id,
                stage_id=exit_id,
                desired_speed=float(np.clip(rng.normal(WEIDMANN_V0, 0.26), 0.5, 2.0)),
                radius=AGENT_RADIUS_M,
                time_gap=time_gap_s,
            )
        )
    sim.iterate(round(warmup_s / step_s))
    low, high = MEASURE_X
    before = {a.id: a.position for a in sim.agents() if low <= a.position[0] <= high}
    sim.iterate(round(measure_s / step_s))
    after = {a.id: a.position for a in sim.agents()}
    inside = sum(1 for x, _ in after.values() if low <= x <= high)
    speeds = [(after[i][0] - xy[0]) / measure_s for i, xy in before.items() if i in after]
    measured = (len(before) + inside) / 2 / ((high - low) * width)
    speed = float(np.mean(speeds)) if speeds else 0.0
    return DiagramPoint(measured, speed, weidmann_speed(measured))


def fundamental_diagram(densities: Sequence[float], step_s: float = 0.05) -> list[DiagramPoint]:
    """One corridor point per density (each about a second of CPU at step 0.05 s)."""
    return [corridor_point(d, step_s) for d in densities]
