"""Where NGSI-LD Null ("urn:ngsi-ld:null") may appear (CIM 009 5.2.1, 5.5.4): it deletes in
partial updates and merges, and marks deleted values in notifications and temporal
evolutions; anywhere else it is BadRequestData."""

from __future__ import annotations

from collections.abc import Mapping

from cctwin.ngsi.fragments import NGSI_NULL
from cctwin.ngsi.problems import bad_data

_NOT_MEMBERS = ("@context",)


def refuse_nulls(body: object) -> None:
    """A body that creates or replaces (an entity, a batch of them): no NGSI-LD Null as its
    id, a member, an attribute's value or object, or inside a compound value."""
    if not isinstance(body, Mapping):
        return  # not an entity: the broker says what is wrong with it
    if body.get("id") == NGSI_NULL:
        raise bad_data("NGSI-LD Null is not an entity id")
    for name, member in body.items():
        if name not in _NOT_MEMBERS and _holds_null(member):
            raise bad_data(f"{name!r}: NGSI-LD Null only deletes, in updates and merges (5.5.4)")


def refuse_member_nulls(body: object) -> None:
    """A temporal evolution: an instance may carry NGSI-LD Null (a deleted value), but a
    first-level member may not be one."""
    if not isinstance(body, Mapping):
        return
    for name, member in body.items():
        if member == NGSI_NULL:
            raise bad_data(f"{name!r}: NGSI-LD Null is not a member value (5.5.4)")


def _holds_null(value: object) -> bool:
    if value == NGSI_NULL:
        return True
    if isinstance(value, Mapping):
        return any(_holds_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_null(v) for v in value)
    return False
