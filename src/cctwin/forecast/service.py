"""The live forecaster: a bus subscriber that forecasts each crowd zone and keeps the ledger.

Crowd observations (`crowd.count`, `crowd.density`) are averaged per step. When a step
closes, its value scores the forecasts that targeted it (the ledger), and new forecasts are
issued 5..60 minutes ahead with a band and the seasonal-naive baseline beside them. A density
forecast that reaches a risk band above the zone's level now is published as a
`crowdRiskForecast` event: marked as a forecast in its kind and its payload.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np

from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import PREFIX
from cctwin.config import Config
from cctwin.config.forecast import ForecastConfig
from cctwin.forecast.ledger import (
    CALM,
    ForecastPoint,
    ForecastScore,
    LatestForecast,
    Quantity,
    RiskBand,
    level_of,
    score,
)
from cctwin.forecast.live import EtsModel, LiveModel, forecast_zone
from cctwin.messages import CrowdForecastPayload, Event, EventKind, Observation

log = logging.getLogger(__name__)

SUBJECTS = (f"{PREFIX}.observations.>",)
QUANTITIES = {q.value: q for q in Quantity}


class LedgerStore(Protocol):
    """What the forecaster needs of the store: the ledger, and recent history at start."""

    def add_forecasts(self, points: Sequence[ForecastPoint]) -> int: ...

    def add_forecast_scores(self, scores: Sequence[ForecastScore]) -> int: ...

    def pending_forecasts(self, since: datetime) -> list[ForecastPoint]: ...

    def crowd_history(self, since: datetime) -> list[Observation]: ...


@dataclass(frozen=True)
class ZoneKey:
    """One zone's quantity: a crowd rule of a camera."""

    camera_id: str
    rule_id: str
    quantity: Quantity


@dataclass
class ZoneSeries:
    """A zone's closed steps (gaps repeat the last value) and the step being filled."""

    history: deque[float]
    step_at: datetime | None = None
    total: float = 0.0
    n: int = 0
    latest: LatestForecast | None = None
    warned_level: str = CALM
    pending: dict[datetime, list[ForecastPoint]] = field(default_factory=dict)


@dataclass(frozen=True)
class ZonePlace:
    """Where a crowd rule is and its bands (from the camera config)."""

    zone_id: str
    bands: list[RiskBand]


class ForecastService:
    """Subscriber: crowd observations -> forecasts, the ledger, early warnings."""

    def __init__(
        self, config: Config, bus: Bus, store: LedgerStore, model: LiveModel | None = None
    ) -> None:
        self.config: ForecastConfig = config.forecast
        self.bus = bus
        self.store = store
        self.model = model or EtsModel()
        self.step = timedelta(seconds=self.config.step_s)
        self.zones: dict[ZoneKey, ZoneSeries] = {}
        self.places = {
            (camera.id, crowd.id): ZonePlace(
                crowd.zone,
                [RiskBand(name=b.name, threshold=b.persons_per_m2) for b in crowd.bands],
            )
            for camera in config.cameras
            for crowd in camera.analytics.crowd
        }
        self._warming: asyncio.Task[None] | None = None
        self.issued = 0
        self.scored = 0
        self.warnings = 0

    def step_of(self, at: datetime) -> datetime:
        seconds = int(at.timestamp()) // self.config.step_s * self.config.step_s
        return datetime.fromtimestamp(seconds, UTC)

    def _zone(self, key: ZoneKey) -> ZoneSeries:
        if key not in self.zones:
            self.zones[key] = ZoneSeries(deque(maxlen=self.config.history_steps))
        return self.zones[key]

    async def load(self, now: datetime) -> None:
        """History and unscored forecasts from the store, so a restart keeps its memory."""
        since = now - self.step * self.config.history_steps
        observations = await asyncio.to_thread(self.store.crowd_history, since)
        for observation in sorted(observations, key=lambda o: o.observed_at):
            self.add(observation, issue=False)
        for point in await asyncio.to_thread(self.store.pending_forecasts, now):
            key = ZoneKey(point.camera_id, point.rule_id, point.quantity)
            self._zone(key).pending.setdefault(point.target_at, []).append(point)

    async def run(self, stopping: asyncio.Event) -> None:
        await self.load(datetime.now(UTC))
        subscription = self.bus.subscribe("forecast", SUBJECTS, durable=False)
        try:
            while not stopping.is_set():
                for delivery in await subscription.fetch(500, 0.5):
                    if isinstance(delivery.message, Observation):
                        await self.receive(delivery.message)
        finally:
            await subscription.close()

    async def receive(self, observation: Observation) -> None:
        """Aggregate; when a step closes, score, forecast, store and maybe warn."""
        closed = self.add(observation, issue=True)
        if closed is None:
            return
        key, zone, scores = closed
        if self._warming is None and len(zone.history) >= self.config.min_history_steps // 2:
            # statsforecast's import and JIT take seconds: paid before the model is first due.
            self._warming = asyncio.create_task(asyncio.to_thread(self.model.warm))
        points = await asyncio.to_thread(self.issue, key, zone)
        await asyncio.to_thread(self._write, points, scores)
        await self._warn(key, zone, points)

    def _write(self, points: list[ForecastPoint], scores: list[ForecastScore]) -> None:
        if points:
            self.store.add_forecasts(points)
        if scores:
            self.store.add_forecast_scores(scores)

    def add(
        self, observation: Observation, issue: bool
    ) -> tuple[ZoneKey, ZoneSeries, list[ForecastScore]] | None:
        """Add one observation; returns the zone when it closed a step (and that step's scores)."""
        quantity = QUANTITIES.get(observation.kind.value)
        if quantity is None:
            return None
        key = ZoneKey(observation.camera_id, observation.rule_id, quantity)
        zone = self._zone(key)
        at = self.step_of(observation.observed_at)
        if zone.step_at is None:
            zone.step_at, zone.total, zone.n = at, observation.value, 1
            return None
        if at < zone.step_at:
            return None  # late for a step already closed
        if at == zone.step_at:
            zone.total += observation.value
            zone.n += 1
            return None
        value = zone.total / zone.n
        closed_at = zone.step_at
        # Steps without any observation repeat the last value (a camera that sees nobody
        # still reports zero, so a silent step means no data, not no people).
        missing = int((at - closed_at) / self.step) - 1
        zone.history.append(value)
        for _ in range(min(missing, self.config.history_steps)):
            zone.history.append(value)
        zone.step_at, zone.total, zone.n = at, observation.value, 1
        scores = self._score(key, zone, closed_at, value)
        return (key, zone, scores) if issue else None

    def _score(
        self, key: ZoneKey, zone: ZoneSeries, at: datetime, truth: float
    ) -> list[ForecastScore]:
        bands = self.places.get((key.camera_id, key.rule_id), ZonePlace("", [])).bands
        due = zone.pending.pop(at, [])
        for stale in [t for t in zone.pending if t < at]:
            zone.pending.pop(stale)  # their step had no observation: never scored
        scores = [score(point, truth, bands) for point in due]
        self.scored += len(scores)
        return scores

    def issue(self, key: ZoneKey, zone: ZoneSeries) -> list[ForecastPoint]:
        """Forecasts from the step just closed (its start is `step_at` minus one step)."""
        history = np.asarray(zone.history, dtype=float)
        assert zone.step_at is not None
        issued_at = zone.step_at  # the first step not yet known
        steps = max(self.config.horizons_min) * 60 // self.config.step_s
        band = forecast_zone(
            history,
            steps,
            self.config.band_level,
            self.config.season,
            self.model,
            self.config.min_history_steps,
        )
        place = self.places.get((key.camera_id, key.rule_id))
        points: list[ForecastPoint] = []
        for minutes in self.config.horizons_min:
            i = minutes * 60 // self.config.step_s - 1
            value = float(band.mean[i])
            level = None
            if key.quantity is Quantity.DENSITY and place is not None:
                level = level_of(value, place.bands)
            point = ForecastPoint(
                camera_id=key.camera_id,
                rule_id=key.rule_id,
                quantity=key.quantity,
                model=band.model,
                issued_at=issued_at,
                target_at=issued_at + self.step * (i),
                horizon_min=minutes,
                value=value,
                low=float(band.low[i]),
                high=float(band.high[i]),
                baseline=float(band.baseline[i]),
                scale=band.scale,
                level=level,
            )
            points.append(point)
            zone.pending.setdefault(point.target_at, []).append(point)
        latest = float(history[-1]) if len(history) else None
        zone.latest = LatestForecast(
            camera_id=key.camera_id,
            rule_id=key.rule_id,
            quantity=key.quantity,
            issued_at=issued_at,
            latest_value=latest,
            points=points,
        )
        self.issued += len(points)
        return points

    async def _warn(self, key: ZoneKey, zone: ZoneSeries, points: list[ForecastPoint]) -> None:
        """Publish an early warning when the forecast level rises above the level now."""
        place = self.places.get((key.camera_id, key.rule_id))
        if not self.config.early_warning or place is None or key.quantity is not Quantity.DENSITY:
            return
        rank = {CALM: 0} | {
            b.name: i + 1 for i, b in enumerate(sorted(place.bands, key=lambda b: b.threshold))
        }
        now_level = level_of(float(zone.history[-1]), place.bands)
        worst = max(points, key=lambda p: (rank.get(p.level or CALM, 0), -p.horizon_min))
        level = worst.level or CALM
        if rank[level] <= rank[now_level] or level == zone.warned_level:
            if rank[level] <= rank[now_level]:
                zone.warned_level = CALM
            return
        zone.warned_level = level
        event = Event(
            kind=EventKind.CROWD_RISK_FORECAST,
            camera_id=key.camera_id,
            rule_id=key.rule_id,
            zone_id=place.zone_id,
            occurred_at=worst.issued_at,
            # Forecast events have no frame: the issue step keeps each warning's id distinct.
            frame_index=int(worst.issued_at.timestamp()) // self.config.step_s,
            class_name="person",
            confidence=1.0,
            payload=CrowdForecastPayload(
                level=level,
                value=round(worst.value, 3),
                horizon_min=worst.horizon_min,
                target_at=worst.target_at,
                low=round(worst.low, 3),
                high=round(worst.high, 3),
            ),
        )
        self.warnings += 1
        try:
            await asyncio.wait_for(self.bus.publish(event), 5.0)
        except Exception:
            log.warning(
                "could not publish the forecast warning of %s/%s", key.camera_id, key.rule_id
            )

    def latest(self) -> list[LatestForecast]:
        return [z.latest for z in self.zones.values() if z.latest is not None]
