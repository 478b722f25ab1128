"""What a flood run returns: the summary keys, per-node results, the depth series, the cameras."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FloodNode(BaseModel):
    """One inlet: where it is, how deep the water stood over its rim, when, and for how long."""

    id: str
    lon: float
    lat: float
    ground_m: float
    max_depth_m: float = Field(description="Highest water over the rim (street surface).")
    time_of_max_s: float = Field(description="Seconds from the run's start to that height.")
    flooded_s: float = Field(description="Time water stood above the rim (SWMM, every step).")
    overflow_m3: float = Field(description="Volume that came up out of the pipes here.")
    flooded: bool
    cameras: list[str] = Field(default_factory=list)


class CameraFlood(BaseModel):
    """A camera that watches flooded nodes, with the deepest modelled water among them."""

    camera_id: str
    nodes: list[str]
    max_depth_m: float
    time_of_max_s: float


class DepthSeries(BaseModel):
    """Water over the rim every report step, for the nodes that ever had any (map animation)."""

    times_s: list[float]
    depth_m: dict[str, list[float]] = Field(description="Node id -> depth per time, in metres.")


class RainSummary(BaseModel):
    """The hyetograph the run used."""

    method: str
    step_min: float
    intensity_mm_h: list[float]
    total_mm: float
    peak_mm_h: float


class NetworkSummary(BaseModel):
    """The generated network (a sample, not a survey)."""

    junctions: int
    outfalls: int
    conduits: int
    subcatchments: int
    area_ha: float
    impervious_share: float
    design_intensity_mm_h: float


class FloodResult(BaseModel):
    """The outcome of one flood what-if; `summary()` is what `--json` and run lists show."""

    wall_s: float
    simulated_s: float
    nodes: int
    flooded_nodes: int
    max_depth_m: float
    cameras: list[str]
    scenario: str
    start: str = Field(description="The simulated clock's start (ISO, local time of the storm).")
    flood_threshold_m: float
    node_results: list[FloodNode]
    series: DepthSeries
    camera_nodes: list[CameraFlood]
    rain: RainSummary
    network: NetworkSummary
    runoff_error_pct: float
    routing_error_pct: float
    engine: str
    versions: dict[str, str]

    def summary(self) -> dict[str, object]:
        return {
            "wall_s": self.wall_s,
            "simulated_s": self.simulated_s,
            "nodes": self.nodes,
            "flooded_nodes": self.flooded_nodes,
            "max_depth_m": self.max_depth_m,
            "cameras": list(self.cameras),
        }

    def geojson(self) -> dict[str, object]:
        """Nodes as points with their results; `times_s` and per-node `depth_m` animate the map."""
        features: list[dict[str, object]] = []
        for node in self.node_results:
            features.append(
                {
                    "type": "Feature",
                    "id": node.id,
                    "properties": {
                        "kind": "flood-node",
                        "id": node.id,
                        "max_depth_m": node.max_depth_m,
                        "time_of_max_s": node.time_of_max_s,
                        "flooded_s": node.flooded_s,
                        "flooded": node.flooded,
                        "cameras": node.cameras,
                        "depth_m": self.series.depth_m.get(node.id, []),
                    },
                    "geometry": {"type": "Point", "coordinates": [node.lon, node.lat]},
                }
            )
        return {
            "type": "FeatureCollection",
            "times_s": self.series.times_s,
            "features": features,
        }
