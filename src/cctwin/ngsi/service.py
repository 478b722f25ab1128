"""The NGSI-LD service: broker, @contexts (cached and hosted), subscriptions, registry, history
retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from cctwin.config.ngsi import NgsiConfig
from cctwin.ngsi.broker import Broker
from cctwin.ngsi.context import ContextStore
from cctwin.ngsi.entities import now
from cctwin.ngsi.federation import Federation
from cctwin.ngsi.forwarding import Forwarder
from cctwin.ngsi.hosting import ContextHosting
from cctwin.ngsi.registration_subscriptions import CSourceSubscriptions
from cctwin.ngsi.registry import RegistrationRepository, Registry
from cctwin.ngsi.subscriptions import SubscriptionManager
from cctwin.ngsi.temporal_ops import InstanceRepository, TemporalEditor

log = logging.getLogger(__name__)


class NgsiRepository(InstanceRepository, RegistrationRepository, Protocol):
    """Everything the service keeps: entities, history, subscriptions, registrations."""


class NgsiService:
    """Everything /ngsi-ld/v1 needs; `run` sends notifications and prunes old history."""

    def __init__(self, repository: NgsiRepository, config: NgsiConfig) -> None:
        self.config = config
        self.started_at = now()  # contextSourceUptime (5.2.40)
        self.contexts = ContextStore({c.url: c.path for c in config.contexts})
        self.hosting = ContextHosting(self.contexts, repository)
        self.broker = Broker(repository)
        self.temporal = TemporalEditor(self.broker, repository)
        self.subscriptions = SubscriptionManager(repository, self.contexts)
        self.broker.listeners.append(self.subscriptions.on_changes)
        self.registry = Registry(repository, self.contexts, self.broker)
        self.csource_subscriptions = CSourceSubscriptions(
            repository, self.contexts, self.registry, self.subscriptions
        )
        self.federation = Federation(self.registry, config.federation)
        self.forwarder = Forwarder(self.registry, config.federation)

    async def run(self, stopping: asyncio.Event) -> None:
        await asyncio.gather(
            self.subscriptions.run(stopping),
            self.csource_subscriptions.run(stopping),
            self._retain(stopping),
        )

    async def _retain(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            raw = now() - timedelta(days=self.config.history_days)
            keep = now() - timedelta(
                days=max(self.config.history_days, self.config.downsampled_days)
            )
            try:
                summarised = await asyncio.to_thread(self.broker.retain, raw, keep)
                if summarised:
                    log.info(
                        "averaged %d attribute instances older than %s per minute", summarised, raw
                    )
            except Exception:
                log.exception("history retention failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.config.prune_interval_s)
