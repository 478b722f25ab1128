"""The alert service: the one owner of alert state, its lock, the engine and operator commands.

It subscribes to events and media on the bus (durably: a restart resumes where it acked),
turns events into alerts through the engine, attaches snapshots and clips as evidence, runs
every operator command, and publishes each change as an `AlertChanged`. Handling is
idempotent by event id: an event that is already part of an alert is skipped, so a
redelivery never extends an alert twice. Every database call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cctwin.alerts.engine import AlertEngine
from cctwin.alerts.rules import matches
from cctwin.alerts.views import alert_view
from cctwin.alerts.workflow import add_note, transition
from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import PREFIX
from cctwin.config import Config
from cctwin.messages import (
    AlertAction,
    AlertChanged,
    AlertChangeKind,
    AlertCommand,
    Event,
    MediaKind,
    MediaReady,
)
from cctwin.reports import Reporter
from cctwin.reports.note import report_note
from cctwin.store.protocol import AlertStore, MediaFiles
from cctwin.types import Alert, AlertStatus

log = logging.getLogger(__name__)

SUBJECTS = (f"{PREFIX}.events.>", f"{PREFIX}.media.>")
ENGINE = "engine"


@dataclass
class AlertTally:
    """Counters for /metrics."""

    opened: int = 0
    updated: int = 0
    commands: int = 0
    skipped_duplicates: int = 0


class AlertService:
    """Events -> alerts, evidence, operator commands; each change published once."""

    def __init__(
        self,
        config: Config,
        store: AlertStore,
        media: MediaFiles,
        bus: Bus,
        engine: AlertEngine,
        reporter: Reporter,
    ) -> None:
        self.config = config
        self.store = store
        self.media = media
        self.bus = bus
        self.engine = engine
        self.reporter = reporter
        self.tally = AlertTally()
        self._lock = asyncio.Lock()
        self._reports: set[asyncio.Task[None]] = set()

    async def run(self, stopping: asyncio.Event) -> None:
        subscription = self.bus.subscribe("alerts", SUBJECTS, durable=True)
        try:
            while not stopping.is_set():
                for delivery in await subscription.fetch(200, 0.5):
                    try:
                        await self.handle(delivery.message)
                    except Exception:
                        log.exception("could not handle %s", delivery.subject)
                    await delivery.ack()
        finally:
            await subscription.close()
            for task in list(self._reports):
                task.cancel()
            await asyncio.gather(*self._reports, return_exceptions=True)

    async def handle(self, message: object) -> None:
        if isinstance(message, Event):
            await self.on_event(message)
        elif isinstance(message, MediaReady):
            await self.on_media(message)

    # -- events and evidence -----------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        if not any(matches(rule, event) for rule in self.config.alerts.rules):
            return  # most events concern no alert rule: no lock, no database
        async with self._lock:
            if await asyncio.to_thread(self.store.alert_of_event, event.id) is not None:
                self.tally.skipped_duplicates += 1
                return
            for change in self.engine.on_event(event):
                alert = change.alert
                if change.created:
                    await asyncio.to_thread(self.store.insert_alert, alert)
                    self.tally.opened += 1
                    self._start_report(alert, event)
                    kind = AlertChangeKind.OPENED
                else:
                    await asyncio.to_thread(self.store.save_alert, alert)
                    self.tally.updated += 1
                    kind = AlertChangeKind.EXTENDED
                await self._announce(alert, kind, ENGINE)

    async def on_media(self, media: MediaReady) -> None:
        """Give a snapshot or clip to the alert its event opened or joined."""
        if media.event_id is None:
            return
        alert_id = await asyncio.to_thread(self.store.alert_of_event, media.event_id)
        if alert_id is None:
            return
        async with self._lock:
            alert = await asyncio.to_thread(self.store.get_alert, alert_id)
            if alert is None:
                return
            if media.kind is MediaKind.SNAPSHOT and alert.snapshot_id is None:
                alert = replace(alert, snapshot_id=media.id)
            elif media.kind is MediaKind.CLIP and alert.clip_id is None:
                alert = replace(alert, clip_id=media.id)
            else:
                return
            await asyncio.to_thread(self.store.save_alert, alert)
            if alert.is_open:
                # The engine keeps its own copy; without the evidence its next update of this
                # alert would drop it.
                self.engine.on_transition(alert)
            await self._announce(alert, AlertChangeKind.EVIDENCE, ENGINE)

    # -- operator commands -------------------------------------------------------------------

    async def execute(self, command: AlertCommand) -> Alert:
        """Run an operator's command; KeyError for an unknown alert, IllegalTransition or
        AlertConflictError for a move that is not allowed now (the API answers 409)."""
        async with self._lock:
            current = await asyncio.to_thread(self.store.get_alert, command.alert_id)
            if current is None:
                raise KeyError(command.alert_id)
            if command.action is AlertAction.TRANSITION:
                to = AlertStatus(command.to or "")
                changed = transition(current, to, command.by, command.issued_at, command.text)
                moved = (current.status, to, command.by)
                await asyncio.to_thread(self.store.save_alert, changed, moved)
                self.engine.on_transition(changed)
                kind = AlertChangeKind.MOVED
            else:
                changed = add_note(current, command.by, command.text or "", command.issued_at)
                await asyncio.to_thread(self.store.save_alert, changed)
                if changed.is_open:
                    self.engine.on_transition(changed)
                kind = AlertChangeKind.NOTED
            self.tally.commands += 1
            await self._publish(command)
            await self._announce(changed, kind, command.by)
        return changed

    # -- situation reports -------------------------------------------------------------------

    def _start_report(self, alert: Alert, event: Event) -> None:
        # A vision model may take seconds; the report joins the alert as a note when ready.
        task = asyncio.create_task(self._add_report(alert.id, event))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    async def _add_report(self, alert_id: str, event: Event) -> None:
        try:
            # The snapshot follows its events on the bus; give it a moment to arrive.
            await asyncio.sleep(0.5)
            opened = await asyncio.to_thread(self.store.get_alert, alert_id)
            if opened is None:
                return
            snapshot = await asyncio.to_thread(self._snapshot_bytes, opened.snapshot_id)
            report = await self.reporter.report(opened, [event], snapshot)
            async with self._lock:
                current = await asyncio.to_thread(self.store.get_alert, alert_id)
                if current is None:
                    return
                noted = replace(current, notes=(*current.notes, report_note(report)))
                await asyncio.to_thread(self.store.save_alert, noted)
                if noted.is_open:
                    self.engine.on_transition(noted)
                await self._announce(noted, AlertChangeKind.NOTED, report.source.value)
        except Exception:
            log.exception("could not write the situation report of alert %s", alert_id)

    def _snapshot_bytes(self, media_id: str | None) -> bytes | None:
        record = None if media_id is None else self.store.get_media(media_id)
        if record is None:
            return None
        return self.media.path_of(record).read_bytes()

    # -- publishing --------------------------------------------------------------------------

    async def _announce(self, alert: Alert, kind: AlertChangeKind, by: str) -> None:
        changed = AlertChanged(change=kind, by=by, at=datetime.now(UTC), alert=alert_view(alert))
        await self._publish(changed)

    async def _publish(self, message: AlertChanged | AlertCommand) -> None:
        try:
            await asyncio.wait_for(self.bus.publish(message), 10.0)
        except Exception:
            # The change is committed; only its announcement is lost, and the next one (or a
            # page reload) shows the current state.
            log.exception("could not publish %s", type(message).__name__)
