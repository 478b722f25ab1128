"""The live forecaster on the local bus: steps, forecasts with bands, the ledger, early warnings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from cctwin.bus.local import LocalBus
from cctwin.config.loader import parse_config
from cctwin.forecast.ledger import Quantity
from cctwin.forecast.live import NaiveModel
from cctwin.forecast.service import ForecastService
from cctwin.messages import Event, EventKind, Observation, ObservationKind
from cctwin.store.sql import SqlStore

CONFIG = """
cameras:
  - id: cam
    source: {{url: clip.mp4}}
    analytics:
      zones:
        - id: plaza
          polygon: [[0, 0], [1, 0], [1, 1]]
      crowd:
        - id: plaza-crowd
          zone: plaza
store: {{type: sqlite, path: {db}}}
forecast: {{horizons_min: [5, 10], min_history_steps: 5}}
"""
T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def density(minute: int, value: float, second: int = 10) -> Observation:
    return Observation(
        kind=ObservationKind.CROWD_DENSITY, camera_id="cam", rule_id="plaza-crowd",
        observed_at=T0 + timedelta(minutes=minute, seconds=second), value=value,
    )  # fmt: skip


class Rising(NaiveModel):
    """A test model: the last value plus 0.3 per step (a crowd building up)."""

    name = "rising"

    def forecast(
        self, history: np.ndarray, steps: int, level: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean = history[-1] + 0.3 * np.arange(1, steps + 1)
        return mean, mean - 0.2, mean + 0.2


def test_the_subscriber_forecasts_scores_and_warns_on_the_local_bus(tmp_path: Path) -> None:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite"))
    store = SqlStore.open(config.store)

    async def scenario() -> list[Event]:
        bus = LocalBus()
        await bus.start()
        watcher = bus.subscribe("watch", ("cctwin.v1.events.>",), durable=False)
        service = ForecastService(config, bus, store, model=Rising())
        stopping = asyncio.Event()
        task = asyncio.create_task(service.run(stopping))
        await asyncio.sleep(0.1)
        for minute in range(20):
            value = 1.0 + 0.1 * minute
            await bus.publish(density(minute, value))
            await bus.publish(density(minute, value, second=40))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if service.scored >= 10:
                break
        stopping.set()
        await task
        events = [d.message for d in await watcher.fetch(100, 0.2)]
        await bus.close()
        return [e for e in events if isinstance(e, Event)]

    try:
        events = asyncio.run(scenario())
        (latest,) = store.latest_forecasts()
        assert latest.quantity is Quantity.DENSITY
        assert [p.horizon_min for p in latest.points] == [5, 10]
        first = latest.points[0]
        assert first.low <= first.value <= first.high
        assert first.model == "rising"  # past min_history_steps, the configured model runs
        zone, overall = store.ledger_scores()
        assert zone.scored >= 10
        assert overall.scored == zone.scored
        assert zone.mae is not None
        assert zone.baseline_mase is not None
        # Densities rise from 1.0 by 0.1 a minute; the model adds 0.3 a step, so at some
        # point its 10-minute forecast reaches the caution band (3/m2) while now is calm.
        warnings = [e for e in events if e.kind is EventKind.CROWD_RISK_FORECAST]
        assert warnings, "no early warning"
        assert warnings[0].payload.type == "crowd_forecast"
        assert warnings[0].level in {"caution", "alert"}  # a band above the calm level now
        assert warnings[0].zone_id == "plaza"
        assert len({w.id for w in warnings}) == len(warnings)
    finally:
        store.close()


def test_short_history_falls_back_to_naive(tmp_path: Path) -> None:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite"))
    store = SqlStore.open(config.store)
    service = ForecastService(config, LocalBus(), store, model=Rising())

    async def feed() -> None:
        for minute in range(3):
            await service.receive(density(minute, 1.0))

    try:
        asyncio.run(feed())
        (latest,) = service.latest()
        assert {p.model for p in latest.points} == {"naive"}
        assert all(p.baseline == 1.0 for p in latest.points)
    finally:
        store.close()
