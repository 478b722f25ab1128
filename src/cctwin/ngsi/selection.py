"""What a request selects beyond filters: the entity type selector (4.17) of operations on
one entity, and the pick/omit projection (4.21) with its rules."""

from __future__ import annotations

from collections.abc import Mapping

from cctwin.ngsi.context import TermMap
from cctwin.ngsi.entities import Entity
from cctwin.ngsi.problems import bad_data, not_found


def check_projection(params: Mapping[str, str]) -> None:
    """pick and omit replace attrs, and no name is both picked and omitted."""
    pick, omit = params.get("pick"), params.get("omit")
    if (pick is not None or omit is not None) and params.get("attrs") is not None:
        raise bad_data("attrs cannot be combined with pick or omit (4.21)")
    if "{" in (pick or "") + (omit or "") and params.get("join") is None:
        raise bad_data("pick/omit of linked entities ({...}) needs join")
    both = set((pick or "").split(",")) & set((omit or "").split(",")) - {""}
    if both:
        raise bad_data(f"{sorted(both)} both picked and omitted")


def check_type(entity: Entity, selector: str | None, terms: TermMap) -> None:
    """The `type` selector (retrieve, delete, append...): an entity of none of the types it
    names is not found, as if it did not exist."""
    if selector is None:
        return
    wanted = {terms.expand(t) for t in selector.split(",") if t}
    if not wanted & set(entity.types):
        raise not_found(f"no entity {entity.id} of type {selector}")
