"""create_app(services): routers, error shapes, health, metrics and the dashboard."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST

from cctwin import __version__
from cctwin.api.deps import AUTH_RESPONSES, ServicesDep, content, require
from cctwin.api.document import install_document
from cctwin.api.guard import Guard
from cctwin.api.methods import MethodCheck
from cctwin.api.metrics import exposition, metrics_registry
from cctwin.api.ngsi_scope import NgsiScope
from cctwin.api.routes import (
    alerts,
    audit,
    auth,
    cameras,
    catalogue,
    events,
    flood,
    forecasts,
    ngsi,
    observations,
    planning,
    privacy,
    scenarios,
    site,
    stream,
    twin,
)
from cctwin.app import Services
from cctwin.security.entity_scope import EntityScope
from cctwin.security.roles import Permission
from cctwin.security.zone_scope import ZoneScopes
from cctwin.types import CameraState

WEB_DIR = Path(__file__).resolve().parents[3] / "web"


def create_app(services: Services, web_dir: Path | None = None) -> FastAPI:
    """The FastAPI application around ready-built services (started in its lifespan)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        # What startup built lives as long as the server: out of the collector's sight, a
        # read of 43,200 history rows no longer pays for full collections walking it all
        # (two thirds of that read's CPU before).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await services.stop()

    app = FastAPI(
        title="cctwin",
        version=__version__,
        description="CCTV control centre with a live digital twin: cameras, events, alerts.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(NgsiScope, entities=EntityScope(ZoneScopes(services.config.cameras)))
    app.add_middleware(MethodCheck)  # inside the guard: only callers with credentials learn
    # Every route, and any router included later, needs credentials unless listed as public.
    app.add_middleware(Guard, auth=services.auth)
    app.include_router(auth.router)
    routers = (
        cameras,
        events,
        alerts,
        observations,
        site,
        stream,
        catalogue,
        audit,
        planning,
        flood,
        privacy,
        twin,
        forecasts,
        scenarios,
    )
    for module in routers:
        app.include_router(module.router, responses=AUTH_RESPONSES)
    ngsi.install(app)
    install_document(app)

    registry = metrics_registry(services)

    @app.get("/api/health", tags=["service"])
    async def health(services: ServicesDep) -> dict[str, Any]:
        statuses = services.live.statuses.values()
        online = sum(s.state is CameraState.ONLINE for s in statuses)
        bus = services.bus.health
        return {
            "status": "ok" if bus.connected else "degraded",
            "version": __version__,
            "cameras": len(services.live.statuses),
            "cameras_online": online,
            "bus": {
                "transport": bus.transport,
                "connected": bus.connected,
                "last_error": bus.last_error,
                "malformed": bus.malformed,
            },
        }

    @app.get(
        "/api/stats",
        tags=["service"],
        dependencies=[require(Permission.VIEW_TWIN)],
        responses=AUTH_RESPONSES,
    )
    async def stats(services: ServicesDep) -> dict[str, Any]:
        stored = services.writer.tally.stored
        return {
            "events_stored": stored.get("events", 0),
            "alerts_opened": services.alerts.tally.opened,
            "observations_stored": stored.get("observations", 0),
            "duplicates_skipped": services.writer.tally.duplicates,
            "sse_clients": len(services.live.clients),
            "worker_restarts": services.pool.restarts if services.pool else 0,
        }

    @app.get(
        "/metrics",
        tags=["service"],
        dependencies=[require(Permission.VIEW_METRICS)],
        response_class=Response,
        responses=content("text/plain") | AUTH_RESPONSES,
    )
    async def metrics() -> Response:
        body = await asyncio.to_thread(exposition, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    folder = web_dir or services.config.service.web_dir or WEB_DIR
    if folder.is_dir():
        app.mount("/", StaticFiles(directory=folder, html=True), name="web")
    return app
