"""create_app(services): routers, error shapes, health, metrics and the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles

from cctwin import __version__
from cctwin.api.deps import ServicesDep
from cctwin.api.routes import alerts, cameras, catalogue, events, observations, site, stream
from cctwin.app import Services
from cctwin.types import CameraState, CameraStatus

WEB_DIR = Path(__file__).resolve().parents[3] / "web"


def create_app(services: Services, web_dir: Path | None = None) -> FastAPI:
    """The FastAPI application around ready-built services (started in its lifespan)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = FastAPI(
        title="cctwin",
        version=__version__,
        description="CCTV control centre with a live digital twin: cameras, events, alerts.",
        lifespan=lifespan,
    )
    app.state.services = services
    routers = (cameras, events, alerts, observations, site, stream, catalogue)
    for module in routers:
        app.include_router(module.router)

    @app.get("/api/health", tags=["service"])
    async def health(services: ServicesDep) -> dict[str, Any]:
        online = sum(s.state is CameraState.ONLINE for s in services.statuses.values())
        return {
            "status": "ok",
            "version": __version__,
            "cameras": len(services.statuses),
            "cameras_online": online,
        }

    @app.get("/api/stats", tags=["service"])
    async def stats(services: ServicesDep) -> dict[str, Any]:
        m = services.metrics
        return {
            "events_stored": m.events_stored,
            "alerts_opened": m.alerts_opened,
            "observations_stored": m.observations_stored,
            "sse_clients": services.bus.subscribers,
            "worker_restarts": services.pool.restarts if services.pool else 0,
        }

    @app.get("/metrics", response_class=PlainTextResponse, tags=["service"])
    async def metrics(services: ServicesDep) -> str:
        return prometheus_text(services)

    folder = web_dir or services.config.service.web_dir or WEB_DIR
    if folder.is_dir():
        app.mount("/", StaticFiles(directory=folder, html=True), name="web")
    return app


def prometheus_text(services: Services) -> str:
    """Prometheus text exposition: per camera fps, lag, reconnects; service counters."""
    lines = [
        "# HELP cctwin_camera_fps Analysed frames per second.",
        "# TYPE cctwin_camera_fps gauge",
    ]
    per_camera: dict[str, Callable[[CameraStatus], float]] = {
        "cctwin_camera_fps": lambda s: s.fps,
        "cctwin_camera_lag_seconds": lambda s: s.lag_s,
        "cctwin_camera_reconnects_total": lambda s: s.reconnects,
        "cctwin_camera_frames_dropped_total": lambda s: s.frames_dropped,
        "cctwin_camera_frames_corrupt_total": lambda s: s.frames_corrupt,
        "cctwin_camera_online": lambda s: int(s.state is CameraState.ONLINE),
    }
    for name, read in per_camera.items():
        if name != "cctwin_camera_fps":
            lines.append(f"# TYPE {name} gauge")
        for camera_id, status in services.statuses.items():
            lines.append(f'{name}{{camera="{camera_id}"}} {read(status)}')
    m = services.metrics
    lines += [
        "# TYPE cctwin_events_stored_total counter",
        f"cctwin_events_stored_total {m.events_stored}",
        "# TYPE cctwin_alerts_opened_total counter",
        f"cctwin_alerts_opened_total {m.alerts_opened}",
        "# TYPE cctwin_store_write_ms gauge",
        f"cctwin_store_write_ms {m.store_ms:.3f}",
        "# TYPE cctwin_sse_clients gauge",
        f"cctwin_sse_clients {services.bus.subscribers}",
        "# TYPE cctwin_worker_queue_depth gauge",
        f"cctwin_worker_queue_depth {services.queue_depth()}",
    ]
    return "\n".join(lines) + "\n"
