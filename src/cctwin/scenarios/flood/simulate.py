"""One flood what-if end to end: network of the site, hyetograph, SWMM, nodes tied to cameras."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cctwin.config import Config
from cctwin.scenarios.flood.cameras import watching_cameras
from cctwin.scenarios.flood.inp import start_of, write_inp
from cctwin.scenarios.flood.network import DrainageNetwork, Junction, build_network
from cctwin.scenarios.flood.result import (
    CameraFlood,
    DepthSeries,
    FloodNode,
    FloodResult,
    NetworkSummary,
    RainSummary,
)
from cctwin.scenarios.flood.run import SwmmRun, run_swmm
from cctwin.scenarios.flood.scenario import FloodNetworkOptions, FloodScenario
from cctwin.scenarios.flood.storms import Hyetograph, hyetograph
from cctwin.twin.layers import site_sources

if TYPE_CHECKING:
    from cctwin.twin.district import DistrictMap

# Building the network costs about a second (blocks, Voronoi cells, sizing); it only changes
# with the site files or the network options, so a few are kept.
_NETWORKS: dict[str, DrainageNetwork] = {}
_NETWORKS_LOCK = threading.Lock()
_KEEP_NETWORKS = 4
# Depths below a millimetre are solver noise, not water on the street.
_WET_M = 0.001
_NETWORK_SHARE = 0.1  # of the progress bar


def run_flood(
    scenario: FloodScenario, config: Config, progress: Callable[[float], None] | None = None
) -> FloodResult:
    """Run the scenario on the district's generated network.

    Raises ValueError when the site has no usable streets, FloodSimulationError when SWMM
    refuses the input, diverges or exceeds the scenario's `timeout_s`.
    """
    from cctwin.twin.district import build_district_map

    started = time.perf_counter()
    district = build_district_map(config)
    network = network_for(config, scenario.network, district)
    if progress is not None:
        progress(_NETWORK_SHARE)
    rain = hyetograph(scenario)

    def swmm_progress(fraction: float) -> None:
        if progress is not None:
            progress(_NETWORK_SHARE + (1 - _NETWORK_SHARE) * fraction)

    run = run_swmm(write_inp(network, rain, scenario), scenario, swmm_progress)
    result = _result(scenario, network, district, rain, run)
    result.wall_s = round(time.perf_counter() - started, 3)
    return result


def network_for(
    config: Config, options: FloodNetworkOptions, district: DistrictMap | None = None
) -> DrainageNetwork:
    """The (cached) generated network of the config's site for these options."""
    stamps = [f"{path}:{_mtime(path)}" for path, _ in site_sources(config.site)]
    key = "|".join([config.site.model_dump_json(), *stamps, options.model_dump_json()])
    with _NETWORKS_LOCK:
        cached = _NETWORKS.get(key)
    if cached is not None:
        return cached
    if district is None:
        from cctwin.twin.district import build_district_map

        district = build_district_map(config)
    network = build_network(district.model, district.geometry, options)
    with _NETWORKS_LOCK:
        while len(_NETWORKS) >= _KEEP_NETWORKS:
            _NETWORKS.pop(next(iter(_NETWORKS)))
        _NETWORKS[key] = network
    return network


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def _result(
    scenario: FloodScenario,
    network: DrainageNetwork,
    district: DistrictMap,
    rain: Hyetograph,
    run: SwmmRun,
) -> FloodResult:
    by_id = {j.id: j for j in network.junctions}
    junctions = [by_id[node_id] for node_id in run.node_ids]
    surface = np.maximum(run.depth_m - run.full_depth_m, 0.0)  # (steps, nodes)
    peak = np.maximum(run.max_depth_m - run.full_depth_m, 0.0)
    threshold = scenario.flood_threshold_m
    nodes = _nodes(junctions, run, peak, threshold, district)
    wet = [k for k in range(len(junctions)) if surface[:, k].max() >= _WET_M]
    series = DepthSeries(
        times_s=[float(t) for t in run.times_s],
        depth_m={junctions[k].id: [round(float(d), 3) for d in surface[:, k]] for k in wet},
    )
    flooded = [n for n in nodes if n.flooded]
    camera_nodes = _camera_nodes(flooded)
    return FloodResult(
        wall_s=0.0,
        simulated_s=run.simulated_s,
        nodes=len(nodes),
        flooded_nodes=len(flooded),
        max_depth_m=round(float(peak.max()) if len(peak) else 0.0, 3),
        cameras=[c.camera_id for c in camera_nodes],
        scenario=scenario.name,
        start=start_of(scenario).isoformat(),
        flood_threshold_m=threshold,
        node_results=nodes,
        series=series,
        camera_nodes=camera_nodes,
        rain=RainSummary(
            method=rain.method,
            step_min=rain.step_min,
            intensity_mm_h=[round(v, 2) for v in rain.intensity_mm_h],
            total_mm=round(rain.total_mm, 1),
            peak_mm_h=round(rain.peak_mm_h, 1),
        ),
        network=_network_summary(network),
        runoff_error_pct=run.runoff_error_pct,
        routing_error_pct=run.routing_error_pct,
        engine=run.engine,
        versions=_versions(run.engine),
    )


def _nodes(
    junctions: list[Junction], run: SwmmRun, peak: Any, threshold: float, district: DistrictMap
) -> list[FloodNode]:
    watchers = watching_cameras(
        [(j.lon, j.lat) for j in junctions], district.footprints, district.geometry
    )
    return [
        FloodNode(
            id=j.id,
            lon=round(j.lon, 7),
            lat=round(j.lat, 7),
            ground_m=round(j.ground_m, 2),
            max_depth_m=round(float(peak[k]), 3),
            time_of_max_s=round(float(run.time_of_max_s[k]), 1),
            flooded_s=round(float(run.over_rim_s[k]), 1),
            overflow_m3=round(float(run.overflow_m3[k]), 1),
            flooded=bool(peak[k] >= threshold),
            cameras=watchers[k],
        )
        for k, j in enumerate(junctions)
    ]


def _camera_nodes(flooded: list[FloodNode]) -> list[CameraFlood]:
    seen: dict[str, list[FloodNode]] = {}
    for node in flooded:
        for camera_id in node.cameras:
            seen.setdefault(camera_id, []).append(node)
    out = []
    for camera_id in sorted(seen):
        deepest = max(seen[camera_id], key=lambda n: n.max_depth_m)
        out.append(
            CameraFlood(
                camera_id=camera_id,
                nodes=[n.id for n in seen[camera_id]],
                max_depth_m=deepest.max_depth_m,
                time_of_max_s=deepest.time_of_max_s,
            )
        )
    return out


def _network_summary(network: DrainageNetwork) -> NetworkSummary:
    area = network.area_m2
    sealed = sum(c.area_m2 * c.impervious for c in network.catchments)
    return NetworkSummary(
        junctions=sum(not j.outfall for j in network.junctions),
        outfalls=sum(j.outfall for j in network.junctions),
        conduits=len(network.conduits),
        subcatchments=len(network.catchments),
        area_ha=round(area / 1e4, 2),
        impervious_share=round(sealed / area, 3) if area else 0.0,
        design_intensity_mm_h=network.design_intensity_mm_h,
    )


def _versions(engine: str) -> dict[str, str]:
    versions = {"engine": engine}
    for package in ("cctwin", "pyswmm", "swmm-toolkit"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions
