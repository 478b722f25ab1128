"""NGSI-LD response headers: the tenant echoed, result counts and pagination links."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cctwin.ngsi.problems import bad_data
from cctwin.ngsi.tenants import HEADER as TENANT_HEADER
from cctwin.ngsi.tenants import is_name

PREFIX = "/ngsi-ld/"


class TenantEcho:
    """Answers to a request naming an `NGSILD-Tenant` name that tenant too (CIM 009 6.3.14),
    errors and empty answers included; pure ASGI so streaming routes elsewhere are untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        tenant = Headers(scope=scope).get(TENANT_HEADER)
        if not tenant or not is_name(tenant):  # a refused name is not repeated back
            await self.app(scope, receive, send)
            return

        async def send_with_tenant(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[TENANT_HEADER] = tenant
            await send(message)

        await self.app(scope, receive, send_with_tenant)


def page_headers(request: Request, total: int, limit: int, offset: int) -> dict[str, str]:
    """`NGSILD-Results-Count` when `count=true`, and `Link` rel="next"/"prev" to the pages
    around this one (CIM 009 5.5.9) when there are any."""
    params = request.query_params
    headers: dict[str, str] = {}
    if params.get("count", "false") not in ("true", "false"):
        raise bad_data("count is true or false")
    if params.get("count") == "true":
        headers["NGSILD-Results-Count"] = str(total)
    links: list[str] = []
    if limit > 0 and offset > 0:
        links.append(_page_link(request, limit, max(0, offset - limit), "prev"))
    if limit > 0 and offset + limit < total:
        links.append(_page_link(request, limit, offset + limit, "next"))
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def _page_link(request: Request, limit: int, offset: int, rel: str) -> str:
    query = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}
    query |= {"limit": str(limit), "offset": str(offset)}
    # Written as the ETSI suite compares it: no spaces, the linked page's media type.
    return f'<{request.url.path}?{urlencode(query)}>;rel="{rel}";type="application/ld+json"'
