"""The SWMM 5 input file (.inp, SI units) of a drainage network, a hyetograph and a scenario."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from cctwin.scenarios.flood.network import MANNING_N, DrainageNetwork
from cctwin.scenarios.flood.scenario import FloodScenario
from cctwin.scenarios.flood.storms import Hyetograph

# Overland flow length of a catchment (SWMM width = area / length), capped as SWMM's manual
# advises for urban blocks.
MAX_OVERLAND_M = 100.0
# Manning n of sealed and of green surfaces, depression storage (mm), share of sealed area
# without depression storage: SWMM manual (Rossman 2015) table A.6 / A.5 typical values.
N_IMPERVIOUS, N_PERVIOUS = 0.015, 0.24
STORAGE_IMPERVIOUS_MM, STORAGE_PERVIOUS_MM, PCT_ZERO = 2.0, 5.0, 25.0
# Horton infiltration of a compacted urban loam: 75 -> 6 mm/h, decay 4 /h, dry in 7 days.
HORTON = (75.0, 6.0, 4.0, 7.0, 0.0)
RAIN_SERIES = "rain"
GAGE = "RG1"


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def start_of(scenario: FloodScenario) -> datetime:
    """The simulated clock's start: the event's own date and hour, else a neutral date."""
    if scenario.storm.type == "event":
        return datetime(2022, 8, 8, 17, 0, 0)
    return datetime(2000, 1, 1, 0, 0, 0)


def write_inp(network: DrainageNetwork, rain: Hyetograph, scenario: FloodScenario) -> str:
    """The .inp text: dynamic-wave routing with ponding, so water over a rim stays visible."""
    start = start_of(scenario)
    end = start + timedelta(hours=scenario.duration_h)
    sections = [
        "[TITLE]\n" + _title(scenario),
        _options(scenario, start, end),
        "[RAINGAGES]\n;;Name Format Interval SCF Source\n"
        f"{GAGE} INTENSITY {_clock(rain.step_min * 60)[:5]} 1.0 TIMESERIES {RAIN_SERIES}",
        _subcatchments(network),
        _nodes(network),
        _conduits(network),
        _rain(rain),
        "[REPORT]\nINPUT NO\nCONTROLS NO\nSUBCATCHMENTS NONE\nNODES NONE\nLINKS NONE",
        "[COORDINATES]\n;;Node X Y\n"
        + "\n".join(f"{j.id} {j.x:.2f} {j.y:.2f}" for j in network.junctions),
    ]
    return "\n\n".join(sections) + "\n"


def _title(scenario: FloodScenario) -> str:
    # SWMM reads the title verbatim; keep it one printable line.
    name = "".join(ch if ch.isprintable() else " " for ch in scenario.name)
    return f"cctwin flood what-if: {name} (generated sample network, not a survey)"


def _options(scenario: FloodScenario, start: datetime, end: datetime) -> str:
    step = scenario.routing_step_s
    options = {
        "FLOW_UNITS": "CMS",
        "INFILTRATION": "HORTON",
        "FLOW_ROUTING": "DYNWAVE",
        "LINK_OFFSETS": "DEPTH",
        "START_DATE": start.strftime("%m/%d/%Y"),
        "START_TIME": start.strftime("%H:%M:%S"),
        "REPORT_START_DATE": start.strftime("%m/%d/%Y"),
        "REPORT_START_TIME": start.strftime("%H:%M:%S"),
        "END_DATE": end.strftime("%m/%d/%Y"),
        "END_TIME": end.strftime("%H:%M:%S"),
        "DRY_DAYS": "0",
        "REPORT_STEP": _clock(scenario.report_step_s),
        "WET_STEP": "00:01:00",
        "DRY_STEP": "00:05:00",
        "ROUTING_STEP": f"{step:g}",
        "ALLOW_PONDING": "YES",
        "INERTIAL_DAMPING": "PARTIAL",
        "VARIABLE_STEP": "0.75",
        # Short pipes force tiny Courant steps; SWMM lengthens them to one routing step instead.
        "LENGTHENING_STEP": f"{step:g}",
        "MIN_SURFAREA": "1.167",
        "NORMAL_FLOW_LIMITED": "BOTH",
        "SKIP_STEADY_STATE": "NO",
        "SURCHARGE_METHOD": "EXTRAN",
        "MAX_TRIALS": "8",
        "HEAD_TOLERANCE": "0.0015",
        "THREADS": "1",
    }
    return "[OPTIONS]\n" + "\n".join(f"{k:20s} {v}" for k, v in options.items())


def _subcatchments(network: DrainageNetwork) -> str:
    subcatchments = ["[SUBCATCHMENTS]", ";;Name Gage Outlet Area(ha) %Imperv Width(m) %Slope Curb"]
    subareas = ["[SUBAREAS]", ";;Name N-Imperv N-Perv S-Imperv S-Perv PctZero RouteTo"]
    infiltration = ["[INFILTRATION]", ";;Name MaxRate MinRate Decay DryTime MaxInfil"]
    for c in network.catchments:
        length = min(math.sqrt(c.area_m2), MAX_OVERLAND_M)
        outlet = network.junctions[c.outlet].id
        subcatchments.append(
            f"{c.id} {GAGE} {outlet} {c.area_m2 / 1e4:.5f} {100 * c.impervious:.2f} "
            f"{c.area_m2 / length:.2f} {100 * c.slope:.3f} 0"
        )
        subareas.append(
            f"{c.id} {N_IMPERVIOUS} {N_PERVIOUS} {STORAGE_IMPERVIOUS_MM} "
            f"{STORAGE_PERVIOUS_MM} {PCT_ZERO} OUTLET"
        )
        infiltration.append(f"{c.id} " + " ".join(f"{v:g}" for v in HORTON))
    return (
        "\n".join(subcatchments) + "\n\n" + "\n".join(subareas) + "\n\n" + "\n".join(infiltration)
    )


def _nodes(network: DrainageNetwork) -> str:
    junctions = ["[JUNCTIONS]", ";;Name Elev MaxDepth InitDepth SurDepth Aponded"]
    outfalls = ["[OUTFALLS]", ";;Name Elev Type StageData Gated"]
    for j in network.junctions:
        if j.outfall:
            outfalls.append(f"{j.id} {j.invert_m:.3f} FREE NO")
        else:
            depth = j.ground_m - j.invert_m
            junctions.append(f"{j.id} {j.invert_m:.3f} {depth:.3f} 0 0 {j.ponded_area_m2:.1f}")
    return "\n".join(junctions) + "\n\n" + "\n".join(outfalls)


def _conduits(network: DrainageNetwork) -> str:
    conduits = ["[CONDUITS]", ";;Name From To Length Roughness InOffset OutOffset InitFlow"]
    sections = ["[XSECTIONS]", ";;Link Shape Geom1 Geom2 Geom3 Geom4 Barrels"]
    for c in network.conduits:
        a, b = network.junctions[c.upstream].id, network.junctions[c.downstream].id
        conduits.append(f"{c.id} {a} {b} {c.length_m:.2f} {MANNING_N} 0 0 0")
        sections.append(f"{c.id} CIRCULAR {c.diameter_m:.3f} 0 0 0 1")
    return "\n".join(conduits) + "\n\n" + "\n".join(sections)


def _rain(rain: Hyetograph) -> str:
    lines = ["[TIMESERIES]", ";;Name Time(h) Value(mm/h)"]
    step_h = rain.step_min / 60.0
    for k, value in enumerate(rain.intensity_mm_h):
        lines.append(f"{RAIN_SERIES} {k * step_h:.5f} {value:.4f}")
    lines.append(f"{RAIN_SERIES} {len(rain.intensity_mm_h) * step_h:.5f} 0")
    return "\n".join(lines)
