"""`scenarios:` in the config: where what-if files live and where simulated entities go."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from cctwin.config.base import Strict


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
