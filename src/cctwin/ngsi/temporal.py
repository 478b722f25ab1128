"""Temporal representation of entities (CIM 009 clause 4.5.7-4.5.19): instances, aggregation."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from cctwin.ngsi.entities import Json, iso, parse_time
from cctwin.ngsi.problems import bad_data


@dataclass(frozen=True)
class Instance:
    """One value an attribute had: its JSON at `observed_ts` (epoch seconds, UTC)."""

    entity_id: str
    attr: str
    observed_ts: float
    attr_json: Json
    number: float | None
    # The store's key of a kept instance (its instanceId, `instance_uri`); None before saving.
    instance_id: int | None = None


INSTANCE_PREFIX = "urn:ngsi-ld:Instance:"


def instance_uri(key: int) -> str:
    """The instanceId (4.5.7) of the stored instance `key`: stable until it is deleted."""
    return f"{INSTANCE_PREFIX}{key}"


def instance_key(uri: str) -> int | None:
    """The store key an instanceId names; None when it is not one this broker gave."""
    number = uri.removeprefix(INSTANCE_PREFIX)
    if number == uri or not number.isdigit():
        return None
    return int(number)


def last_per_series(instances: Sequence[Instance], last_n: int) -> list[Instance]:
    """lastN (5.7.4): the newest `last_n` instances of each attribute and datasetId, in the
    order given (time order per attribute)."""
    series: dict[tuple[str, object], list[Instance]] = {}
    for instance in instances:
        key = (instance.attr, instance.attr_json.get("datasetId"))
        series.setdefault(key, []).append(instance)
    kept = {id(i) for group in series.values() for i in group[-last_n:]}
    return [i for i in instances if id(i) in kept]


@dataclass(frozen=True)
class TimeQuery:
    """timerel + timeAt (+ endTimeAt) as a half-open interval of epoch seconds."""

    start_ts: float | None = None
    end_ts: float | None = None


def time_query(timerel: str | None, time_at: str | None, end_time_at: str | None) -> TimeQuery:
    if timerel is None:
        return TimeQuery()
    if time_at is None:
        raise bad_data("timerel needs timeAt")
    for name, text in (("timeAt", time_at), ("endTimeAt", end_time_at)):
        if text is not None and "T" not in text:
            raise bad_data(f"{name} is a DateTime (4.11, 4.6.3), not {text!r}")
    at = parse_time(time_at, "timeAt").timestamp()
    if timerel == "before":
        return TimeQuery(None, at)
    if timerel == "after":
        return TimeQuery(at, None)
    if timerel == "between":
        if end_time_at is None:
            raise bad_data("timerel=between needs endTimeAt")
        end = parse_time(end_time_at, "endTimeAt").timestamp()
        if end <= at:
            raise bad_data("endTimeAt must be after timeAt")
        return TimeQuery(at, end)
    raise bad_data(f"unknown timerel {timerel!r} (before, after, between)")


def numeric(attr: Json) -> float | None:
    value = attr.get("value")
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def instance_of(entity_id: str, name: str, attr: Json, modified: datetime) -> Instance:
    """The temporal instance an attribute change leaves: at its observedAt, else now."""
    observed = attr.get("observedAt")
    moment = parse_time(observed, "observedAt") if isinstance(observed, str) else modified
    return Instance(entity_id, name, moment.timestamp(), attr, numeric(attr))


def _stamp(ts: float) -> str:
    return iso(datetime.fromtimestamp(ts, UTC))


def _whole(text: str) -> str:
    """A DateTime in whole seconds without its zero milliseconds (12:03:00Z, as clients
    write them): the times of temporalValues and aggregated periods, compared as text."""
    return text[:-5] + "Z" if text.endswith(".000Z") else text


def stamps(times: Sequence[float]) -> list[str]:
    """`iso` of many epoch seconds at once (a month of minutes is 43,200 of them).

    The same rounding as datetime.fromtimestamp (the fraction to microseconds, half to even)
    and then iso's truncation to milliseconds, so each string equals `_stamp(ts)`.
    """
    seconds = np.asarray(times, dtype=np.float64)
    fraction, whole = np.modf(seconds)
    micros = np.round(fraction * 1e6)
    carry = (micros >= 1e6).astype(np.int64) - (micros < 0).astype(np.int64)
    micros = micros - carry * 1e6
    millis = (micros // 1000).astype(np.int64).astype("timedelta64[ms]")
    moments = (whole.astype(np.int64) + carry).astype("datetime64[s]") + millis
    return [text + "Z" for text in np.datetime_as_string(moments, unit="ms").tolist()]


def normalized(instances: Sequence[Instance], compact: Callable[[str], str]) -> Json:
    """Attribute name -> list of instances, each with its observedAt (or instance time)."""
    out: dict[str, list[Json]] = {}
    names: dict[str, str] = {}
    times = stamps([i.observed_ts for i in instances])
    for instance, stamp in zip(instances, times, strict=True):
        attr = dict(instance.attr_json)
        attr.setdefault("observedAt", stamp)
        if instance.instance_id is not None:
            attr["instanceId"] = instance_uri(instance.instance_id)
        name = names.get(instance.attr)
        if name is None:
            name = names[instance.attr] = compact(instance.attr)
        out.setdefault(name, []).append(attr)
    return dict(out)


@dataclass(frozen=True, slots=True)
class StoredInstances:
    """Attribute instances as the store keeps them, in time order per attribute: columns of
    attribute names, observedAt seconds and JSON texts (a month of minutes is 43,200 rows,
    and objects per row cost more than the SQL)."""

    attrs: list[str]
    observed_ts: list[float]
    bodies: list[str]
    keys: list[int]  # instanceIds (`instance_uri`)


def normalized_text(stored: StoredInstances, compact: Callable[[str], str]) -> Json:
    """`normalized` from the stored texts, each instance passed through as JSON (its
    observedAt added where the instance has none) instead of parsed and written again."""
    parts: dict[str, list[str]] = {}
    for attr, body, stamp, key in zip(
        stored.attrs, stored.bodies, stamps(stored.observed_ts), stored.keys, strict=True
    ):
        text = _with_observed_at(body, stamp).rstrip()
        # Stored bodies never hold an instanceId (temporal_ops strips one sent in).
        parts.setdefault(attr, []).append(f'{text[:-1]},"instanceId":"{instance_uri(key)}"}}')
    return {compact(a): orjson.Fragment("[" + ",".join(p) + "]") for a, p in parts.items()}


def _with_observed_at(body: str, stamp: str) -> str:
    if '"observedAt"' in body:
        attr = orjson.loads(body)
        if "observedAt" in attr:
            return body
        return orjson.dumps({**attr, "observedAt": stamp}).decode()
    end = body.rstrip()
    if not end.endswith("}"):  # not an object: leave it to the parser to say so
        return orjson.dumps({**orjson.loads(body), "observedAt": stamp}).decode()
    opening = end[:-1].rstrip()
    separator = "" if opening.endswith("{") else ","
    return f'{opening}{separator}"observedAt":"{stamp}"}}'


# The temporalValues member of each attribute kind (4.5.9) and its element's shape: the bare
# value or object, or the member wrapped in an object ({"languageMap": ...}).
_SERIES: dict[str, tuple[str, str, bool]] = {
    "Property": ("values", "value", False),
    "GeoProperty": ("values", "value", False),
    "Relationship": ("objects", "object", False),
    "LanguageProperty": ("languageMaps", "languageMap", True),
    "JsonProperty": ("jsons", "json", True),
    "VocabProperty": ("vocabs", "vocab", True),
    "ListProperty": ("valueLists", "valueList", True),
    "ListRelationship": ("objectLists", "objectList", True),
}


def simplified(instances: Sequence[Instance], compact: Callable[[str], str]) -> Json:
    """options=temporalValues (4.5.9): [[value, time], ...] per attribute, under the member
    of its kind (values, objects, languageMaps, jsons, vocabs, valueLists, objectLists)."""
    out: Json = {}
    times = stamps([i.observed_ts for i in instances])
    names: dict[str, str] = {}
    for instance, stamp in zip(instances, times, strict=True):
        attr = instance.attr_json
        kind = attr.get("type", "Property")
        key, member, wrapped = _SERIES.get(kind, _SERIES["Property"])
        value = {member: attr.get(member)} if wrapped else attr.get(member)
        name = names.get(instance.attr)
        if name is None:
            name = names[instance.attr] = compact(instance.attr)
        slot = out.setdefault(name, {"type": kind, key: []})
        slot[key].append([value, _whole(stamp)])
    return out


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def duration_s(text: str) -> float:
    """Seconds of an ISO 8601 duration of days, hours, minutes, seconds (PT1M, P1D, PT0S)."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT"):
        raise bad_data(f"aggrPeriodDuration {text!r} is not an ISO 8601 duration (e.g. PT1M)")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


@dataclass(frozen=True)
class Bucket:
    """Sums of the numeric instances of one aggregation period (computed by the store)."""

    index: int
    count: int
    total: float
    total_sq: float
    low: float
    high: float
    distinct: int
    first_ts: float


def _stddev(b: Bucket) -> float:
    mean = b.total / b.count
    return math.sqrt(max(0.0, b.total_sq / b.count - mean * mean))


AGGREGATES: dict[str, Callable[[Bucket], float]] = {
    "totalCount": lambda b: float(b.count),
    "distinctCount": lambda b: float(b.distinct),
    "sum": lambda b: b.total,
    "avg": lambda b: b.total / b.count,
    "min": lambda b: b.low,
    "max": lambda b: b.high,
    "stddev": _stddev,
    "sumsq": lambda b: b.total_sq,
}


def parse_methods(text: str | None) -> list[str]:
    if not text:
        raise bad_data("aggregation needs aggrMethods")
    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in AGGREGATES]
    if unknown or not methods:
        raise bad_data(f"unknown aggrMethods {unknown} (known: {sorted(AGGREGATES)})")
    return methods


def aggregate(
    buckets: Sequence[Bucket],
    methods: Sequence[str],
    period_s: float,
    origin_ts: float,
    end_ts: float | None,
) -> dict[str, list[list[Any]]]:
    """Per method, [[value, periodStart, periodEnd], ...]; period 0 = the whole range."""
    out: dict[str, list[list[Any]]] = {m: [] for m in methods}
    for bucket in buckets:
        if period_s > 0:
            begin = origin_ts + bucket.index * period_s
            finish = begin + period_s
        else:
            begin, finish = origin_ts, end_ts if end_ts is not None else origin_ts
        for method in methods:
            period = [_whole(_stamp(begin)), _whole(_stamp(finish))]
            out[method].append([AGGREGATES[method](bucket), *period])
    return out
