"""`site.basemap`: the map under the twin's layers; offline (none) or a PMTiles archive."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from cctwin.config.base import Strict, type_or


class OfflineBasemapConfig(Strict):
    """No basemap: the site model's vector layers on a dark ground (works with no network)."""

    type: Literal["offline"] = "offline"


class PmtilesBasemapConfig(Strict):
    """A PMTiles archive (one file of tiles served over HTTP range requests), for deployments
    with their own tiles, e.g. a Protomaps extract of Seoul on the control centre's server."""

    type: Literal["pmtiles"]
    url: str = Field(
        pattern=r"^(https?://|/)",
        description="Where the browser reads the archive: https://... or a path on this server.",
    )
    tiles: Literal["vector", "raster"] = Field(
        "vector", description="vector: Protomaps basemap layers; raster: image tiles."
    )
    attribution: str = Field("", description="Shown under the map (the tiles' licence).")


BasemapConfig = Annotated[
    Annotated[OfflineBasemapConfig, Tag("offline")]
    | Annotated[PmtilesBasemapConfig, Tag("pmtiles")],
    Discriminator(type_or("offline")),
]
