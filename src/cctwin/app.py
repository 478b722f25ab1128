"""Composition root of `cctwin up`: store, bus, alert engine, worker pool; the service loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from cctwin.alerts.engine import AlertEngine, title_for
from cctwin.alerts.workflow import transition
from cctwin.bus.local import LocalBus
from cctwin.config import AlertRuleConfig, Config
from cctwin.reports import build_reporter
from cctwin.reports.note import report_note
from cctwin.store.media import MediaStore
from cctwin.store.sql import SqlStore
from cctwin.twin.names import PlaceNames
from cctwin.types import Alert, AlertStatus, CameraState, CameraStatus, Event
from cctwin.workers import (
    ClipReady,
    EventBatch,
    LiveFrame,
    ObservationBatch,
    WorkerMessage,
    WorkerPool,
)

log = logging.getLogger(__name__)


@dataclass
class ServiceMetrics:
    """Counters for /metrics and /api/stats."""

    started_monotonic: float = field(default_factory=time.monotonic)
    events_stored: int = 0
    alerts_opened: int = 0
    observations_stored: int = 0
    inbox_depth: int = 0
    store_ms: float = 0.0


class Services:
    """Everything the API needs, built once from the config (no import-time side effects)."""

    def __init__(self, config: Config, start_workers: bool = True) -> None:
        self.config = config
        self.store = SqlStore.open(config.store)
        self.media = MediaStore(config.media.path)
        self.bus = LocalBus()
        self.rules: dict[str, AlertRuleConfig] = {r.id: r for r in config.alerts.rules}
        self.names = PlaceNames.from_cameras(config.cameras)
        self.engine = AlertEngine(config.alerts.rules, self.store.open_alerts(), self.names)
        self.reporter = build_reporter(config.reports, self.names)
        self._reports: set[asyncio.Task[None]] = set()
        self.metrics = ServiceMetrics()
        self.pool = (
            WorkerPool(config, config.service.workers or _cores()) if start_workers else None
        )
        self.statuses: dict[str, CameraStatus] = {
            c.id: CameraStatus(c.id, CameraState.STARTING, datetime.now(UTC))
            for c in config.cameras
        }
        self.live: dict[str, LiveFrame] = {}
        self._titles: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._alert_of_event: OrderedDict[str, str] = OrderedDict()
        self._alert_lock = asyncio.Lock()
        self._stopping = threading.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def queue_depth(self) -> int:
        """Messages waiting from the workers (approximate; not every platform can tell)."""
        if self.pool is None:
            return 0
        try:
            return int(self.pool.outbox.qsize())
        except NotImplementedError:
            return -1

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.pool is not None:
            self.pool.start()
            self._tasks.append(asyncio.create_task(self._pump_workers()))
            self._tasks.append(asyncio.create_task(self._supervise()))

    def begin_shutdown(self) -> None:
        """First step of a graceful stop: end SSE streams so the server can drain quickly."""
        self._stopping.set()
        self.bus.close()

    async def stop(self) -> None:
        self.begin_shutdown()
        for task in [*self._tasks, *self._reports]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._reports, return_exceptions=True)
        if self.pool is not None:
            await asyncio.to_thread(self.pool.stop, 5.0)
        self.store.close()

    async def _supervise(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(2.0)
            if self.pool is not None:
                self.pool.supervise()
            self._mark_silent_cameras()

    def _mark_silent_cameras(self) -> None:
        """A worker that died or hangs reports nothing: its cameras go offline on the map."""
        now = datetime.now(UTC)
        limit = max(10.0, 4 * self.config.service.status_interval_s)
        for camera_id, status in list(self.statuses.items()):
            silent = (now - status.reported_at).total_seconds() > limit
            if silent and status.state is not CameraState.OFFLINE:
                offline = CameraStatus(
                    camera_id, CameraState.OFFLINE, now, last_frame_at=status.last_frame_at,
                    reconnects=status.reconnects, last_error="no report from its worker",
                )  # fmt: skip
                self.statuses[camera_id] = offline
                self.bus.publish(offline)

    async def _pump_workers(self) -> None:
        """Move worker messages into the store, the alert engine and the bus, in order."""
        assert self.pool is not None
        pool = self.pool
        while not self._stopping.is_set():
            message = await asyncio.to_thread(pool.get, 0.5)
            if message is None:
                continue
            try:
                await self.handle(message)
            except Exception:
                log.exception("could not handle a %s from a worker", type(message).__name__)

    async def handle(self, message: WorkerMessage) -> None:
        if isinstance(message, ClipReady):
            await self.attach_clip(message)
        elif isinstance(message, EventBatch):
            snapshot_id = None
            if message.snapshot_jpeg is not None:
                record = await asyncio.to_thread(
                    self.media.save_snapshot,
                    message.camera_id,
                    message.snapshot_jpeg,
                    message.captured_at,
                    message.events[0].id,
                )
                self.store.add_media(record)
                snapshot_id = record.id
            await self.ingest_events(message.events, snapshot_id)
        elif isinstance(message, ObservationBatch):
            await asyncio.to_thread(self.store.add_observations, message.observations)
            self.metrics.observations_stored += len(message.observations)
            for observation in message.observations:
                self.bus.publish(observation)
        elif isinstance(message, LiveFrame):
            self.live[message.camera_id] = message
        else:
            self.statuses[message.camera_id] = message
            await asyncio.to_thread(self.store.save_camera_status, message)
            self.bus.publish(message)

    async def ingest_events(self, events: list[Event], snapshot_id: str | None) -> None:
        """Store first (durable), then tell the world, then open or extend alerts."""
        started = time.perf_counter()
        await asyncio.to_thread(self.store.add_events, events)
        self.metrics.store_ms = 1000 * (time.perf_counter() - started)
        self.metrics.events_stored += len(events)
        for event in events:
            self.bus.publish(event)
        async with self._alert_lock:
            for event in events:
                for change in self.engine.on_event(event):
                    alert = change.alert
                    self._alert_of_event[event.id] = alert.id
                    while len(self._alert_of_event) > 10000:
                        self._alert_of_event.popitem(last=False)
                    if change.created:
                        alert = _with_snapshot(alert, snapshot_id)
                        # The engine keeps its own copy; give it the evidence too, or its next
                        # update of this alert would drop the snapshot.
                        self.engine.on_transition(alert)
                        self.remember_title(alert, event)
                        await asyncio.to_thread(self.store.insert_alert, alert)
                        self.metrics.alerts_opened += 1
                        self._start_report(alert, event)
                    else:
                        await asyncio.to_thread(self.store.save_alert, alert)
                    self.bus.publish(alert)

    def _start_report(self, alert: Alert, event: Event) -> None:
        # A vision model may take seconds; the report joins the alert as a note when ready.
        task = asyncio.create_task(self._add_report(alert.id, event))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    async def _add_report(self, alert_id: str, event: Event) -> None:
        try:
            opened = await asyncio.to_thread(self.store.get_alert, alert_id)
            if opened is None:
                return
            snapshot = await asyncio.to_thread(self._snapshot_bytes, opened.snapshot_id)
            report = await self.reporter.report(opened, [event], snapshot)
            async with self._alert_lock:
                current = await asyncio.to_thread(self.store.get_alert, alert_id)
                if current is None:
                    return
                noted = replace(current, notes=(*current.notes, report_note(report)))
                await asyncio.to_thread(self.store.save_alert, noted)
                if noted.is_open:
                    self.engine.on_transition(noted)
            self.bus.publish(noted)
        except Exception:
            log.exception("could not write the situation report of alert %s", alert_id)

    def _snapshot_bytes(self, media_id: str | None) -> bytes | None:
        record = None if media_id is None else self.store.get_media(media_id)
        if record is None:
            return None
        return self.media.path_of(record).read_bytes()

    async def attach_clip(self, clip: ClipReady) -> None:
        """Keep the clip and give it to the alert its event opened or joined."""
        record = await asyncio.to_thread(
            self.media.save_clip, clip.camera_id, clip.mp4, clip.finished_at, clip.event_id
        )
        await asyncio.to_thread(self.store.add_media, record)
        alert_id = self._alert_of_event.get(clip.event_id)
        if alert_id is None:
            return
        async with self._alert_lock:
            alert = await asyncio.to_thread(self.store.get_alert, alert_id)
            if alert is None or alert.clip_id is not None:
                return
            alert = replace(alert, clip_id=record.id)
            await asyncio.to_thread(self.store.save_alert, alert)
            if alert.is_open:
                self.engine.on_transition(alert)
        self.bus.publish(alert)

    # -- operator actions ------------------------------------------------------------------

    async def move_alert(self, alert_id: str, to: AlertStatus, by: str, note: str | None) -> Alert:
        """Apply an operator's transition (IllegalTransition propagates as a 409)."""
        async with self._alert_lock:
            current = await asyncio.to_thread(self.store.get_alert, alert_id)
            if current is None:
                raise KeyError(alert_id)
            moved = transition(current, to, by, datetime.now(UTC), note)
            await asyncio.to_thread(self.store.save_alert, moved, (current.status, to, by))
            self.engine.on_transition(moved)
        self.bus.publish(moved)
        return moved

    def latest_snapshot(self, camera_id: str) -> str | None:
        """Keep the camera's current live frame as evidence; its media id, if there is one."""
        live = self.live.get(camera_id)
        if live is None:
            return None
        record = self.media.save_snapshot(camera_id, live.jpeg, live.captured_at, None)
        self.store.add_media(record)
        media_id: str = record.id
        return media_id

    # -- presentation helpers --------------------------------------------------------------

    def remember_title(self, alert: Alert, event: Event) -> dict[str, str]:
        rule = self.rules.get(alert.rule_id)
        titles = (
            title_for(event, rule, self.names)
            if rule is not None
            else {"en": alert.title, "ko": alert.title}
        )
        self._titles[alert.id] = titles
        while len(self._titles) > 10000:
            self._titles.popitem(last=False)
        return titles

    def titles(self, alert: Alert) -> dict[str, str]:
        """English and Korean titles; recomputed from the alert's first event after a restart."""
        if alert.id in self._titles:
            return self._titles[alert.id]
        event = self.store.get_event(alert.event_ids[0]) if alert.event_ids else None
        rule = self.rules.get(alert.rule_id)
        if event is None or rule is None:
            return {"en": alert.title, "ko": alert.title}
        titles = title_for(event, rule, self.names)
        self._titles[alert.id] = titles
        return titles


def _with_snapshot(alert: Alert, snapshot_id: str | None) -> Alert:
    return alert if snapshot_id is None else replace(alert, snapshot_id=snapshot_id)


def _cores() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)))
