"""Flood what-ifs: EPA SWMM on the district's drainage network (placeholder until the flood branch lands)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from cctwin.config import Config


class FloodScenario(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: Literal["flood"]
    name: str


class FloodResult(BaseModel):
    wall_s: float
    simulated_s: float
    nodes: int
    flooded_nodes: int
    max_depth_m: float
    cameras: list[str]

    def summary(self) -> dict[str, object]:  # the JSON keys of `cctwin twin simulate --json`
        return self.model_dump(
            include={"wall_s", "simulated_s", "nodes", "flooded_nodes", "max_depth_m", "cameras"}
        )


def run_flood(
    scenario: FloodScenario, config: Config, progress: Callable[[float], None] | None = None
) -> FloodResult:
    raise NotImplementedError("flood what-ifs land with the flood branch")
