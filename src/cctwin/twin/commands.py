"""`cctwin twin ...`: import the site model, extract a district from OSM, report footprints and zones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cctwin.planning.commands import coverage_command, plan_command
from cctwin.scenarios.commands import scenarios, simulate
from cctwin.scenarios.flood.commands import flood

twin_app = typer.Typer(no_args_is_help=True, help="The digital twin's site model and map.")
twin_app.command("coverage")(coverage_command)
twin_app.command("plan")(plan_command)


def _load(config_file: Path):  # type: ignore[no-untyped-def]
    from cctwin.config import load_config

    try:
        return load_config(config_file)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@twin_app.command("import-site")
def import_site(
    config_file: Annotated[Path | None, typer.Option("--config", help="YAML config.")] = None,
    osm: Annotated[
        Path | None, typer.Option(help="OSM XML or GeoJSON file (else site.osm).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write one GeoJSON file per layer here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read the site model; print the features per layer and every skipped feature (by OSM id)."""
    from cctwin.twin.layers import load_site_model
    from cctwin.twin.osm import LAYER_KINDS, read_site_file

    if osm is None and config_file is None:
        typer.echo("error: give --osm FILE or --config FILE", err=True)
        raise typer.Exit(2)
    try:
        model = read_site_file(osm) if osm is not None else load_site_model(_load(config_file).site)  # type: ignore[arg-type]
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for kind in LAYER_KINDS:
            (out / f"{kind}.geojson").write_text(
                json.dumps(model.geojson(kind), ensure_ascii=False)
            )
    skipped = [{"osm_id": s.osm_id, "reason": s.reason} for s in model.skipped]
    if as_json:
        typer.echo(json.dumps({"layers": model.counts(), "skipped": skipped}, ensure_ascii=False))
        return
    for layer, count in model.counts().items():
        typer.echo(f"{layer:10s} {count:6d}")
    typer.echo(f"{'skipped':10s} {len(skipped):6d}")
    for s in skipped:
        typer.echo(f"  skipped {s['osm_id']}: {s['reason']}")


@twin_app.command("extract-osm")
def extract(
    source: Annotated[Path, typer.Argument(help="OSM XML of a larger area.")],
    out: Annotated[Path, typer.Option(help="Extract to write (OSM XML).")],
    bbox: Annotated[str, typer.Option(help="west,south,east,north in degrees.")],
) -> None:
    """Cut a small OSM XML extract (the features the twin uses) out of a larger one."""
    from cctwin.twin.extract import ATTRIBUTION, extract_osm

    try:
        west, south, east, north = (float(v) for v in bbox.split(","))
    except ValueError:
        typer.echo("error: --bbox is west,south,east,north", err=True)
        raise typer.Exit(2) from None
    counts = extract_osm(source, out, (west, south, east, north))
    typer.echo(f"{out}: {counts['nodes']} nodes, {counts['ways']} ways; {ATTRIBUTION}")


@twin_app.command("zones")
def zones(
    config_file: Annotated[Path, typer.Option("--config", help="YAML config.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each camera's footprint area, and each map zone's visible share (warns on unseen zones)."""
    from cctwin.twin.district import build_district_map

    try:
        district = build_district_map(_load(config_file))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    areas = {f.view.camera_id: round(float(f.ground.area), 1) for f in district.footprints}
    report = {
        "footprints": areas,
        "zones": [
            {
                "zone_id": z.zone_id,
                "visible_share": round(z.visible_share, 4),
                "visible_walkable_m2": round(z.visible_walkable_m2, 1),
                "cameras": [c.camera_id for c in z.cameras],
                "warning": z.warning,
            }
            for z in district.zones
        ],
    }
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    for camera_id, area in areas.items():
        typer.echo(f"camera {camera_id}: footprint {area} m2")
    for z in district.zones:
        seen = ", ".join(c.camera_id for c in z.cameras) or "-"
        warning = f"  WARNING: {z.warning}" if z.warning else ""
        typer.echo(f"zone {z.zone_id}: {z.visible_share:.0%} visible ({seen}){warning}")


twin_app.command("flood")(flood)
# What-if scenarios (cctwin.scenarios) run on the twin's site model.
twin_app.command("simulate")(simulate)
twin_app.command("scenarios")(scenarios)
