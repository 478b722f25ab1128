"""`scenarios:` in the config: where what-if files live and where simulated entities go."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from cctwin.config.base import Strict


class LookaheadConfig(Strict):
    """`scenarios.lookahead`: simulate the next minutes of every hot spot, periodically."""

    enabled: bool = Field(False, description="Run the periodic look-ahead in `cctwin up`.")
    every_s: float = Field(60.0, ge=1, le=3600, description="Seconds between look-ahead ticks.")
    minutes: float = Field(10.0, ge=1, le=15, description="Simulated minutes ahead.")
    min_level: str = Field(
        "caution",
        min_length=1,
        max_length=32,
        description="Risk band (of the zone's crowd bands) at or above which a zone is a hot spot.",
    )
    max_concurrent: int = Field(1, ge=1, le=8, description="Hot spots simulated at once.")
    max_age_s: float = Field(
        120.0, gt=0, description="A zone's density older than this is not live: no look-ahead."
    )
    step_s: float = Field(0.05, gt=0, le=0.1, description="JuPedSim time step.")


class ScenariosConfig(Strict):
    """What-if runs: the scenario folder the dashboard may run, and the NGSI-LD tenant."""

    folder: Path = Field(
        Path("config/scenarios"), description="Scenario files (YAML) the dashboard can run."
    )
    tenant: str = Field(
        "cctwin-sim",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        description="NGSI-LD tenant of simulated entities (never mixed with live ones).",
    )
    max_parallel: int = Field(1, ge=1, le=8, description="Runs at once from the dashboard.")
    lookahead: LookaheadConfig = Field(
        default_factory=LookaheadConfig, description="Periodic hot-spot look-ahead."
    )
