"""The temporal representation of one entity for GET /temporal/entities (CIM 009 6.18-6.19)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cctwin.ngsi.broker import Repository
from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import Entity, Json
from cctwin.ngsi.problems import bad_data
from cctwin.ngsi.temporal import (
    TimeQuery,
    aggregate,
    duration_s,
    last_per_series,
    normalized,
    normalized_text,
    parse_methods,
    simplified,
    time_query,
)


def projected(body: Json, params: Mapping[str, str], terms: TermMap) -> Json:
    """The members of a temporal entity `pick` and `omit` name (4.21): id, type, attribute
    names as the answer spells them. After merging with sources, which go by id."""
    pick = _projection(params.get("pick"), "pick", terms)
    omit = _projection(params.get("omit"), "omit", terms) or frozenset()
    if pick is None and not omit:
        return body
    return {k: v for k, v in body.items() if (pick is None or k in pick) and k not in omit}


def _projection(raw: str | None, param: str, terms: TermMap) -> frozenset[str] | None:
    if raw is None:
        return None
    names = [n for n in raw.split(",") if n]
    if not names:
        raise bad_data(f"{param} needs at least one name")
    return frozenset(names) | {terms.compact(terms.expand(n)) for n in names}


def temporal_entity(
    repository: Repository,
    entity: Entity,
    terms: TermMap,
    attrs: frozenset[str] | None,
    params: Mapping[str, str],
) -> Json:
    """id, type and each attribute's history in the window the parameters ask for."""
    window = time_query(params.get("timerel"), params.get("timeAt"), params.get("endTimeAt"))
    options = set(params.get("options", "").split(","))
    types = [terms.compact(t) for t in entity.types]
    out: Json = {"id": entity.id, "type": types[0] if len(types) == 1 else types}
    wanted = sorted(attrs) if attrs is not None else None
    if "aggregatedValues" in options or params.get("format") == "aggregatedValues":
        names = wanted if wanted is not None else repository.instance_attrs(entity.id)
        out.update(_aggregated(repository, entity.id, names, window, params, terms))
        return out
    last_n = _last_n(params.get("lastN"))
    datasets = params.get("datasetId")
    simple = "temporalValues" in options or params.get("format") == "temporalValues"
    if not simple and last_n is None and datasets is None:
        stored = repository.stored_instances(entity.id, wanted, window.start_ts, window.end_ts)
        out.update(normalized_text(stored, terms.compact))
        return out
    if datasets is None:
        history = repository.instances(entity.id, wanted, window.start_ts, window.end_ts, last_n)
    else:
        # Multi-attribute instances (4.5.5): only those of the datasetIds asked for, and
        # lastN of each of them.
        keep = {d for d in datasets.split(",") if d}
        history = repository.instances(entity.id, wanted, window.start_ts, window.end_ts, None)
        history = [i for i in history if i.attr_json.get("datasetId", "@none") in keep]
        if last_n is not None:
            history = last_per_series(history, last_n)
    if simple:
        out.update(simplified(history, terms.compact))
    else:
        out.update(normalized(history, terms.compact))
    return out


def _aggregated(
    repository: Repository,
    entity_id: str,
    names: Sequence[str],
    window: TimeQuery,
    params: Mapping[str, str],
    terms: TermMap,
) -> Json:
    """aggregatedValues (4.5.19): per attribute and method, [value, start, end] per period.
    Periods count from timeAt; without one, from the entity's earliest instance of the
    asked attributes (one grid for all of them)."""
    methods = parse_methods(params.get("aggrMethods"))
    period = duration_s(params.get("aggrPeriodDuration", "PT0S"))
    start, end = window.start_ts, window.end_ts
    origin = start
    if origin is None:
        whole = [repository.buckets(entity_id, n, None, end, 0.0, 0.0) for n in names]
        firsts = [b[0].first_ts for b in whole if b]
        origin = min(firsts) if firsts else 0.0
    out: Json = {}
    for name in names:
        found = repository.buckets(entity_id, name, start, end, origin, period)
        if found:
            first = found[0].first_ts if period <= 0 and start is None else origin
            series = aggregate(found, methods, period, first, end)
            out[terms.compact(name)] = {"type": "Property", **series}
    return out


def check_params(params: Mapping[str, str]) -> None:
    """BadRequestData for a bad time window, lastN or aggregation, before any entity is read
    (an empty answer must not hide a request the broker would refuse)."""
    time_query(params.get("timerel"), params.get("timeAt"), params.get("endTimeAt"))
    _last_n(params.get("lastN"))
    if params.get("timeproperty", "observedAt") not in _TIME_PROPERTIES:
        raise bad_data(f"timeproperty is one of {', '.join(_TIME_PROPERTIES)}")
    for member in ("pick", "omit"):
        raw = params.get(member)
        if raw is not None and not any(raw.split(",")):
            raise bad_data(f"{member} needs at least one name")
    if params.get("format") == "aggregatedValues" or "aggregatedValues" in params.get(
        "options", ""
    ):
        parse_methods(params.get("aggrMethods"))
        duration_s(params.get("aggrPeriodDuration", "PT0S"))


_TIME_PROPERTIES = ("observedAt", "createdAt", "modifiedAt", "deletedAt")


def _last_n(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError as error:
        raise bad_data("lastN is a positive integer") from error
    if value <= 0:
        raise bad_data("lastN is a positive integer")
    return value
