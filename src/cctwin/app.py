"""Composition root of `cctwin up`: builds the bus, the store and the subscribers, and wires them.

Every fact reaches the service through the bus; each subscriber has one job:

    StoreWriter   facts -> store (exactly once by id)            store/writer.py
    AlertService  events, media, operator commands -> alerts     alerts/service.py
    LiveHub       everything -> browsers (SSE), camera board     live.py
    TwinProjector facts -> NGSI-LD entities (/ngsi-ld/v1)        twin/projector.py
    ForecastService crowd observations -> forecasts, ledger,     forecast/service.py
                  early warnings (crowdRiskForecast events)
    LookaheadService hot spots -> JuPedSim look-ahead every minute,  scenarios/live.py
                  simulated entities, simulated early warnings

A new capability (the audit writer, agency notifiers) is one more
subscriber started here, not a change to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass, field

from cctwin.alerts.engine import AlertEngine
from cctwin.alerts.service import AlertService
from cctwin.bus.factory import create_bus
from cctwin.bus.protocol import Bus
from cctwin.config import Config
from cctwin.forecast.service import ForecastService
from cctwin.live import LiveHub
from cctwin.ngsi.service import NgsiService
from cctwin.ngsi.tenants import Tenants
from cctwin.privacy.unmask import UnmaskService, expire_periodically
from cctwin.reports import build_reporter
from cctwin.scenarios.live import JupedsimLookahead, LookaheadService, TenantTwin
from cctwin.security.alert_audit import AlertAuditor
from cctwin.security.service import Authenticator, ViewingAuditor, on_start, settings_from
from cctwin.store.media import MediaStore
from cctwin.store.ngsi import NgsiStore
from cctwin.store.originals import Originals
from cctwin.store.retention import purge_periodically
from cctwin.store.sql import SqlStore
from cctwin.store.tenants import open_tenant, tenant_names
from cctwin.store.writer import StoreWriter
from cctwin.twin.names import PlaceNames
from cctwin.twin.projector import TwinProjector
from cctwin.workers import WorkerPool

log = logging.getLogger(__name__)


@dataclass
class ServiceClock:
    """When the service started (uptime in /metrics)."""

    started_monotonic: float = field(default_factory=time.monotonic)


class Services:
    """Everything the API needs, built once from the config (no import-time side effects)."""

    def __init__(self, config: Config, start_workers: bool = True, bus: Bus | None = None) -> None:
        self.config = config
        self.clock = ServiceClock()
        self.store = SqlStore.open(config.store)
        self.media = MediaStore(config.media.path)
        self.bus = bus or create_bus(config.bus)
        self.names = PlaceNames.from_cameras(config.cameras)
        self.writer = StoreWriter(self.store, self.bus)
        engine = AlertEngine(config.alerts.rules, self.store.open_alerts(), self.names)
        self.alerts = AlertService(
            config,
            self.store,
            self.media,
            self.bus,
            engine,
            build_reporter(config.reports, self.names),
        )
        self.live = LiveHub(config, self.bus, self.store.camera_statuses())
        self.auth = Authenticator(
            settings_from(config.security, config.media.path.parent / "secret"), self.store
        )
        self.viewings = ViewingAuditor(self.store, config.security.view_audit_every_s)
        self.originals = Originals(config.media.path, config.privacy.originals_key)
        self.alert_audit = AlertAuditor(self.store, self.bus)
        self.unmask = UnmaskService(
            self.store, config, lambda n: self.store.get_user(n) is not None
        )
        self.ngsi_store = NgsiStore.open(config.store)
        self.ngsi = NgsiService(self.ngsi_store, config.ngsi_ld)
        # NGSILD-Tenant: simulated what-ifs (scenarios.tenant) never mix with live entities.
        self.ngsi_tenants = Tenants(
            self.ngsi,
            config.ngsi_ld,
            lambda tenant: open_tenant(config.store, tenant),
            lambda: tenant_names(config.store),
        )
        self.twin = TwinProjector(
            self.ngsi.broker, self.bus, config, self.ngsi.contexts.terms(None)
        )
        self.forecasts = ForecastService(config, self.bus, self.store)
        self.lookahead = LookaheadService(
            config,
            self.bus,
            self.store,
            JupedsimLookahead(config),
            TenantTwin(self.ngsi_tenants, config.scenarios.tenant),
        )
        self.start_workers = start_workers
        self.pool: WorkerPool | None = None
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # The loop the service runs on, for signal handlers that run outside it.
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def start(self) -> None:
        """Connect the bus (BusUnavailableError if it cannot), then start every subscriber."""
        self.loop = asyncio.get_running_loop()
        await asyncio.to_thread(on_start, self.auth, self.config.model_dump_json())
        await self.bus.start()
        jobs = [self.writer.run, self.alerts.run, self.live.run, self.live.watch, self.ngsi.run]
        jobs.append(self.alert_audit.run)
        if self.config.ngsi_ld.twin:
            jobs.append(self.twin.run)
        if self.config.forecast.enabled:
            jobs.append(self.forecasts.run)
        if self.config.scenarios.lookahead.enabled:
            jobs.append(self.lookahead.run)
        for job in jobs:
            self._tasks.append(asyncio.create_task(job(self._stopping)))
        self.ngsi_tenants.on_open = self._start_tenant
        # Retention (PIPA): delete what is past each camera's retention days, hourly.
        purge = purge_periodically(self.store, self.config, self._stopping)
        self._tasks.append(asyncio.create_task(purge))
        self._tasks.append(asyncio.create_task(expire_periodically(self.unmask, self._stopping)))
        if self.start_workers:
            self.pool = WorkerPool(
                self.config, self.config.service.workers or _cores(), self.bus.worker_link()
            )
            self.pool.start()
            self._tasks.append(asyncio.create_task(self._supervise()))

    def _start_tenant(self, service: NgsiService) -> None:
        # Tenants open from request handlers and worker threads: start their jobs on the loop.
        if self.loop is not None and not self._stopping.is_set():
            run = service.run(self._stopping)
            self.loop.call_soon_threadsafe(lambda: self._tasks.append(self.loop.create_task(run)))  # type: ignore[union-attr]

    def begin_shutdown(self) -> None:
        """First step of a graceful stop: end SSE streams so the server can drain quickly."""
        self._stopping.set()
        for client in list(self.live.clients):
            client.offer(None)

    async def stop(self) -> None:
        self.begin_shutdown()
        if self.pool is not None:
            await asyncio.to_thread(self.pool.stop, 5.0)
        # Subscribers finish the batch in hand (stored and acked), then return.
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=5.0)
            for task in pending:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.bus.close()
        self.store.close()
        self.ngsi_store.close()
        for tenant in self.ngsi_tenants.opened():
            tenant.broker.repository.close()  # type: ignore[attr-defined]

    async def _supervise(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 2.0)
            if self.pool is not None and not self._stopping.is_set():
                self.pool.supervise()


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)))
