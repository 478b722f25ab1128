"""Live look-ahead: seed a hot spot with the twin's current density and simulate what comes next."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped]
from pydantic import Field, model_validator
from shapely.geometry import Point  # type: ignore[import-untyped]
from shapely.ops import nearest_points  # type: ignore[import-untyped]

from cctwin.config import Config
from cctwin.config.base import Identifier, Strict
from cctwin.geometry import lonlat_to_metres
from cctwin.scenarios.crowd.run import CrowdResult, run_crowd
from cctwin.scenarios.crowd.seeding import exit_shares, forward_exits
from cctwin.scenarios.crowd.walkable import WalkableArea, walkable_area
from cctwin.scenarios.models import (
    CrowdScenario,
    DestinationConfig,
    InitialCrowdConfig,
    LonLat,
    RegionConfig,
    RouteShare,
    SourceConfig,
    SpeedConfig,
    ZoneConfig,
)
from cctwin.twin.layers import load_site_model

# The simulated neighbourhood reaches this far past the hot spot; people leave it where a
# street crosses its edge (each crossing is one exit).
NEIGHBOURHOOD_M = 60.0
EDGE_BAND_M = 3.0
MIN_EXIT_M2 = 4.0
SNAP_M = 25.0


class LookaheadRequest(Strict):
    """`POST /api/scenarios/lookahead`: which hot spot, its state now, how far to look."""

    zone: Identifier | None = Field(None, description="A map zone of site.zones.")
    at: LonLat | None = Field(None, description="Or a point (lon, lat) with `radius_m`.")
    radius_m: float = Field(15.0, gt=2, le=100)
    persons_per_m2: float | None = Field(
        None, gt=0, le=7.0, description="Density now; empty = the twin's CrowdFlowObserved."
    )
    entity_id: str | None = Field(None, description="CrowdFlowObserved to read the density from.")
    inflow_per_min: float = Field(0.0, ge=0, le=2000, description="People arriving per minute.")
    horizon_s: float = Field(600.0, ge=60, le=900)
    free_speed_mps: float | None = Field(
        None, ge=0.5, le=2.0, description="Mean desired speed; empty = Weidmann's 1.34 m/s."
    )
    heading_deg: float | None = Field(
        None, ge=0, lt=360, description="Compass heading of the flow; empty = spread evenly."
    )
    step_s: float = Field(0.05, gt=0, le=0.1)

    @model_validator(mode="after")
    def _one_place(self) -> LookaheadRequest:
        if (self.zone is None) == (self.at is None):
            raise ValueError("give `zone` (a site zone id) or `at` (lon, lat), not both")
        return self


def hot_spot(request: LookaheadRequest, config: Config) -> ZoneConfig:
    """The hot spot as a scenario zone; ValueError for an unknown site zone."""
    if request.zone is not None:
        known = {z.id: z for z in config.site.zones}
        if request.zone not in known:
            raise ValueError(f"unknown map zone {request.zone!r}; known: {', '.join(known) or '-'}")
        return ZoneConfig(id=request.zone, polygon=list(known[request.zone].polygon))
    assert request.at is not None
    return ZoneConfig(id="hot-spot", at=request.at, radius_m=request.radius_m)


def density_now(request: LookaheadRequest, entities: Mapping[str, Mapping[str, Any]]) -> float:
    """The given density, else the `density` attribute of the CrowdFlowObserved entity."""
    if request.persons_per_m2 is not None:
        return request.persons_per_m2
    if request.entity_id is None:
        raise ValueError("give `persons_per_m2` or the `entity_id` of a CrowdFlowObserved")
    entity = entities.get(request.entity_id)
    if entity is None:
        raise LookupError(f"no entity {request.entity_id!r} in the twin")
    for name, attribute in entity.items():
        if name.rsplit("/", 1)[-1] == "density" and isinstance(attribute, Mapping):
            value = attribute.get("value", attribute.get("https://uri.etsi.org/ngsi-ld/hasValue"))
            if isinstance(value, int | float) and value > 0:
                return float(value)
    raise ValueError(f"entity {request.entity_id!r} has no positive density yet")


def edge_exits(walkable: WalkableArea, centre: Any, radius_m: float) -> list[Any]:
    """Where the walkable area crosses the circle's edge: one exit polygon per street."""
    ring = centre.buffer(radius_m).difference(centre.buffer(radius_m - EDGE_BAND_M))
    cut = ring.intersection(walkable.polygon)
    pieces = [p for p in getattr(cut, "geoms", [cut]) if p.area >= MIN_EXIT_M2]
    return [p.convex_hull for p in pieces]


def on_walkable(zone: ZoneConfig, walkable: WalkableArea) -> ZoneConfig:
    """The hot spot, moved onto the site model's walkable area when it lies off it.

    The walkable area is the mapped streets at their width: a camera zone on an unmapped
    forecourt can miss it by metres. Up to SNAP_M away it moves to the nearest walkable point;
    farther is an error naming the gap.
    """
    if zone.at is None:
        return zone
    centre = Point(walkable.to_metres(zone.at))
    gap = float(walkable.polygon.distance(centre))
    if gap <= zone.radius_m / 2:
        return zone
    if gap > SNAP_M:
        raise ValueError(f"the hot spot is {gap:.0f} m from the site model's walkable streets")
    _, near = nearest_points(centre, walkable.polygon)
    ((lon, lat),) = walkable.to_lonlat(np.asarray([(near.x, near.y)]))
    return zone.model_copy(update={"at": (float(lon), float(lat))})


def lookahead_scenario(request: LookaheadRequest, config: Config, density: float) -> CrowdScenario:
    """The hot spot's crowd, inflow and the neighbourhood's street exits as a crowd scenario."""
    zone = hot_spot(request, config)
    if zone.at is not None:
        centre_ll, reach = zone.at, zone.radius_m
    else:
        assert zone.polygon is not None
        xs, ys = zip(*zone.polygon, strict=True)
        centre_ll = (sum(xs) / len(xs), sum(ys) / len(ys))
        corners = lonlat_to_metres(zone.polygon, centre_ll)
        reach = float(np.hypot(corners[:, 0], corners[:, 1]).max())
    radius = reach + NEIGHBOURHOOD_M
    region = RegionConfig(center=centre_ll, radius_m=radius + 1.0)
    walkable = walkable_area(load_site_model(config.site), centre_ll, region)
    zone = on_walkable(zone, walkable)
    exits = edge_exits(walkable, Point(0, 0), radius)
    if not exits:
        raise ValueError("no street leaves the hot spot's neighbourhood: nowhere to walk to")
    destinations = _destinations(walkable, exits)
    bearings = [(float(p.centroid.x), float(p.centroid.y)) for p in exits]
    shares = exit_shares(bearings, request.heading_deg)
    routes = [
        RouteShare(destination=d.id, share=w) for d, w in zip(destinations, shares, strict=True)
    ]
    place = zone.model_dump(include={"at", "radius_m", "polygon"})
    sources = []
    if request.inflow_per_min > 0:
        sources.append(
            SourceConfig(
                id="inflow",
                rate_per_min=request.inflow_per_min,
                over_s=request.horizon_s,
                to=routes,
                **place,
            )
        )
    return CrowdScenario(
        kind="crowd",
        name="lookahead",
        title=f"look-ahead {zone.id}",
        region=region,
        sources=sources,
        initial=[
            # The standing crowd disperses to the nearest street (ahead of the flow, if known);
            # arrivals split over the streets by the flow's heading.
            InitialCrowdConfig(
                id=zone.id,
                persons_per_m2=density,
                to=[routes[i] for i in forward_exits(bearings, request.heading_deg)],
                nearest=True,
                **place,
            )
        ],
        speed=_speed(request),
        destinations=destinations,
        step_s=request.step_s,
        duration_s=request.horizon_s,
    )


def _destinations(walkable: WalkableArea, exits: list[Any]) -> list[DestinationConfig]:
    """The exit polygons (site metres) as destinations on the map."""
    return [
        DestinationConfig(
            id=f"edge-{i}",
            polygon=[
                (float(x), float(y))
                for x, y in walkable.to_lonlat(shapely.get_coordinates(piece.exterior))
            ][:-1],
        )
        for i, piece in enumerate(exits)
    ]


def _speed(request: LookaheadRequest) -> SpeedConfig:
    if request.free_speed_mps is None:
        return SpeedConfig()
    return SpeedConfig(mean_mps=request.free_speed_mps)


def run_lookahead(
    request: LookaheadRequest,
    config: Config,
    entities: Mapping[str, Mapping[str, Any]],
    progress: Callable[[float], None] | None = None,
) -> tuple[CrowdScenario, CrowdResult]:
    """Simulate the next `horizon_s` of the hot spot from its density now."""
    hot_spot(request, config)  # an unknown zone is the first thing to say
    scenario = lookahead_scenario(request, config, density_now(request, entities))
    return scenario, run_crowd(scenario, config, progress)
