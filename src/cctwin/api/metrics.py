"""/metrics: the service's state in the Prometheus exposition format, via prometheus-client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cctwin.app import Services
from cctwin.types import CameraState, CameraStatus


class ServiceCollector(Collector):
    """Reads the subscribers' counters at scrape time (nothing is kept twice)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        yield from self._cameras()
        services = self.services
        stored = CounterMetricFamily(
            "cctwin_facts_stored", "Facts the store writer stored, by type.", labels=["fact"]
        )
        for fact, count in services.writer.tally.stored.items():
            stored.add_metric([fact], count)
        yield stored
        yield CounterMetricFamily(
            "cctwin_facts_duplicate",
            "Facts delivered again and skipped by id.",
            value=services.writer.tally.duplicates,
        )
        yield GaugeMetricFamily(
            "cctwin_store_write_ms",
            "Time of the store writer's last batch.",
            value=services.writer.tally.last_batch_ms,
        )
        alerts = services.alerts.tally
        yield CounterMetricFamily("cctwin_alerts_opened", "Alerts opened.", value=alerts.opened)
        yield CounterMetricFamily(
            "cctwin_alert_commands", "Operator commands run.", value=alerts.commands
        )
        health = services.bus.health
        yield GaugeMetricFamily(
            "cctwin_bus_connected", "1 while the bus is connected.", value=int(health.connected)
        )
        yield CounterMetricFamily(
            "cctwin_bus_malformed", "Messages skipped as unreadable.", value=health.malformed
        )
        yield GaugeMetricFamily(
            "cctwin_sse_clients", "Browsers on the live stream.", value=len(services.live.clients)
        )
        yield GaugeMetricFamily(
            "cctwin_worker_restarts",
            "Analysis workers restarted.",
            value=services.pool.restarts if services.pool else 0,
        )
        yield GaugeMetricFamily(
            "cctwin_uptime_seconds",
            "Seconds since the service started.",
            value=time.monotonic() - services.clock.started_monotonic,
        )

    def _cameras(self) -> Iterator[Metric]:
        statuses = self.services.live.statuses
        gauges: dict[str, tuple[str, Callable[[CameraStatus], float]]] = {
            "cctwin_camera_fps": ("Analysed frames per second.", lambda s: s.fps),
            "cctwin_camera_lag_seconds": ("Frame-to-analysis lag.", lambda s: s.lag_s),
            "cctwin_camera_online": (
                "1 while frames arrive.",
                lambda s: int(s.state is CameraState.ONLINE),
            ),
        }
        for name, (text, read) in gauges.items():
            family = GaugeMetricFamily(name, text, labels=["camera"])
            for camera_id, status in statuses.items():
                family.add_metric([camera_id], float(read(status)))
            yield family
        counters: dict[str, tuple[str, Callable[[CameraStatus], float]]] = {
            "cctwin_camera_reconnects": ("Reconnects.", lambda s: s.reconnects),
            "cctwin_camera_frames_dropped": ("Frames dropped.", lambda s: s.frames_dropped),
            "cctwin_camera_frames_corrupt": ("Corrupt frames.", lambda s: s.frames_corrupt),
        }
        for name, (text, read) in counters.items():
            counter = CounterMetricFamily(name, text, labels=["camera"])
            for camera_id, status in statuses.items():
                counter.add_metric([camera_id], float(read(status)))
            yield counter


def metrics_registry(services: Services) -> CollectorRegistry:
    """A registry of its own per service (no global state shared between apps or tests)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(services))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
