"""Coverage and camera placement settings: class weights, grid, candidates, lenses, solver."""

from __future__ import annotations

from pydantic import Field

from cctwin.config.base import Strict


class ClassWeightsConfig(Strict):
    """How much one covered square metre of each walkable class is worth.

    Parks and walking trails weigh more than roads by default: the district plan puts them
    first because people walk there alone and at night, away from traffic and shop fronts
    (roads already have many eyes and the traffic cameras of the city), so a blind spot there
    costs more than one on a carriageway.
    """

    roads: float = Field(1.0, ge=0)
    parks: float = Field(2.0, ge=0)
    trails: float = Field(2.0, ge=0)


class LensConfig(Strict):
    """One lens choice for a new camera: horizontal field of view and useful range."""

    fov_deg: float = Field(gt=0, le=170)
    range_m: float = Field(gt=0, le=500)


class PlanningConfig(Strict):
    """`cctwin twin coverage` and `cctwin twin plan`: what counts, and how new cameras are chosen."""

    weights: ClassWeightsConfig = Field(default_factory=ClassWeightsConfig)
    min_blind_spot_m2: float = Field(
        10.0, ge=0, description="Uncovered pieces smaller than this are slivers, not blind spots."
    )
    grid_m: float = Field(
        4.0, ge=0.5, le=50, description="Cell size of the placement grid over the surfaces."
    )
    candidate_spacing_m: float = Field(
        25.0, ge=1, description="Distance between candidate points along roads and trails."
    )
    max_candidates: int = Field(
        5000, ge=1, description="More candidate positions than this are thinned evenly."
    )
    headings: int = Field(8, ge=1, le=36, description="Compass headings tried per candidate.")
    lenses: list[LensConfig] = Field(
        default_factory=lambda: [
            LensConfig(fov_deg=90.0, range_m=30.0),
            LensConfig(fov_deg=50.0, range_m=50.0),
        ],
        min_length=1,
    )
    mount_height_m: float = Field(6.0, gt=0, description="Lens height of new cameras.")
    tilt_deg: float = Field(30.0, gt=0, le=90, description="Downward tilt of new cameras.")
    resolution: tuple[int, int] = Field((1920, 1080), description="Image size of new cameras.")
    time_limit_s: float = Field(45.0, gt=0, le=3600, description="MILP solver time limit.")
    upgrade_below_mp: float = Field(
        2.0, gt=0, description="Cameras under this many megapixels are upgrade candidates."
    )
