"""The configured site model: `site.osm` plus `site.layers` with a kind, loaded once per change."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

from cctwin.config.service import SiteConfig
from cctwin.twin.footprint import Building, SiteGeometry
from cctwin.twin.osm import SiteModel, merge, read_site_file

log = logging.getLogger(__name__)


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


@functools.lru_cache(maxsize=4)
def _load(sources: tuple[tuple[str, str | None, float], ...]) -> SiteModel:
    # The mtimes are part of the key: an edited extract is re-read, an unchanged one is not.
    models = []
    for path, kind, _ in sources:
        model = read_site_file(Path(path), kind)  # type: ignore[arg-type]
        for skipped in model.skipped:
            log.warning("site model: skipped %s in %s: %s", skipped.osm_id, path, skipped.reason)
        models.append(model)
    return merge(models)


def site_sources(site: SiteConfig) -> list[tuple[Path, str | None]]:
    """The files the site model is built from, with the layer kind each feeds (None: by tags)."""
    sources: list[tuple[Path, str | None]] = []
    if site.osm is not None:
        sources.append((site.osm, None))
    sources.extend((layer.path, layer.kind) for layer in site.layers if layer.kind is not None)
    return sources


def load_site_model(site: SiteConfig) -> SiteModel:
    """The site model of the config (empty without `site.osm` or kinded layers).

    Raises ValueError naming the file when one cannot be read or parsed.
    """
    key = []
    for path, kind in site_sources(site):
        if not path.is_file():
            raise ValueError(f"site model file {path} not found")
        key.append((str(path), kind, _stamp(path)))
    try:
        return _load(tuple(key))
    except (OSError, ValueError) as exc:
        raise ValueError(f"site model: cannot read {', '.join(k[0] for k in key)}: {exc}") from exc


def site_geometry(model: SiteModel, origin: tuple[float, float]) -> SiteGeometry:
    """The model's buildings in metres around `origin`, ready for occlusion."""
    empty = SiteGeometry(origin, [])
    buildings: Sequence[Building] = [
        Building(outline=empty.geometry_to_metres(f.geometry), height_m=f.height_m or 0.0)
        for f in model.layer("buildings")
    ]
    return SiteGeometry(origin, buildings)
