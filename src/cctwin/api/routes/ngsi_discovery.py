"""/ngsi-ld/v1/types and /attributes: what entity types and attributes the broker holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cctwin.api.routes.ngsi import Ctx, flag, in_thread, ngsi_service
from cctwin.ngsi.broker import EntityQuery
from cctwin.ngsi.problems import NgsiError, Problem

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
# The query parameters each discovery operation defines (6.25-6.28); others: InvalidRequest.
_LISTS = frozenset({"details", "local", "count"})
_ONE = frozenset({"local"})


def _only(request: Request, defined: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - defined)
    if unknown:
        raise NgsiError(Problem.INVALID_REQUEST, f"{unknown}: not parameters of this operation")


@router.get("/types")
# The ETSI suite lists types with a trailing slash.
@router.get("/types/", include_in_schema=False)
async def entity_types(request: Request) -> Response:
    _only(request, _LISTS)
    ctx = Ctx(request)
    found = await in_thread(ngsi_service(request).broker.types)
    names = sorted(ctx.terms.compact(t) for t in found)
    if flag(request, "details") or request.query_params.get("details") == "true":
        details = [
            {
                "id": t,
                "type": "EntityType",
                "typeName": ctx.terms.compact(t),
                "attributeNames": sorted(ctx.terms.compact(a) for a in found[t]),
            }
            for t in sorted(found)
        ]
        return ctx.answer(details, 200, _count(request, len(details)))
    return ctx.answer(
        {"id": "urn:ngsi-ld:EntityTypeList:cctwin", "type": "EntityTypeList", "typeList": names},
        200,
        _count(request, len(names)),
    )


@router.get("/types/{type_name:path}")
async def entity_type(type_name: str, request: Request) -> Response:
    _only(request, _ONE)
    ctx = Ctx(request)
    iri = ctx.terms.expand(type_name)
    broker = ngsi_service(request).broker
    found = await in_thread(broker.types)
    if iri not in found:
        raise NgsiError(Problem.RESOURCE_NOT_FOUND, f"no entities of type {type_name}")
    entities = await in_thread(broker.query, EntityQuery(types=[iri]))
    details = [
        {
            "id": name,
            "type": "Attribute",
            "attributeName": ctx.terms.compact(name),
            "attributeTypes": sorted({a["type"] for e in entities for a in e.instances(name)}),
        }
        for name in sorted(found[iri])
    ]
    body = {
        "id": iri,
        "type": "EntityTypeInfo",
        "typeName": ctx.terms.compact(iri),
        "entityCount": len(entities),
        "attributeDetails": details,
    }
    return ctx.answer(body)


@router.get("/attributes")
@router.get("/attributes/", include_in_schema=False)
async def attributes(request: Request) -> Response:
    _only(request, _LISTS)
    ctx = Ctx(request)
    found = await in_thread(ngsi_service(request).broker.types)
    if request.query_params.get("details") == "true":
        # 5.7.9: one Attribute object per attribute, with the types that have it.
        iris = sorted({a for attrs in found.values() for a in attrs})
        listed = [_attribute(ctx, iri, found) for iri in iris]
        return ctx.answer(listed, 200, _count(request, len(listed)))
    names = sorted({ctx.terms.compact(a) for attrs in found.values() for a in attrs})
    body = {"id": "urn:ngsi-ld:AttributeList:cctwin", "type": "AttributeList"}
    return ctx.answer({**body, "attributeList": names}, 200, _count(request, len(names)))


@router.get("/attributes/{attr:path}")
async def attribute(attr: str, request: Request) -> Response:
    _only(request, _ONE)
    ctx = Ctx(request)
    iri = ctx.terms.expand(attr)
    found = await in_thread(ngsi_service(request).broker.types)
    if not any(iri in names for names in found.values()):
        raise NgsiError(Problem.RESOURCE_NOT_FOUND, f"no entity has attribute {attr}")
    return ctx.answer(_attribute(ctx, iri, found))


def _count(request: Request, total: int) -> dict[str, str]:
    """count=true: how many types or attributes the answer lists (NGSILD-Results-Count)."""
    return (
        {"NGSILD-Results-Count": str(total)} if request.query_params.get("count") == "true" else {}
    )


def _attribute(ctx: Ctx, iri: str, found: dict[str, set[str]]) -> dict[str, object]:
    types = sorted(t for t, names in found.items() if iri in names)
    return {
        "id": iri,
        "type": "Attribute",
        "attributeName": ctx.terms.compact(iri),
        "typeNames": [ctx.terms.compact(t) for t in types],
    }
