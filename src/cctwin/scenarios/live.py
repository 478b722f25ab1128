"""The periodic look-ahead: every minute, simulate the next minutes of each live hot spot.

A bus subscriber keeps each crowd zone's latest density, band and speed, and each line's
cumulative `in` count. Every `scenarios.lookahead.every_s` the zones at or above `min_level`
are seeded (density now; inflow from line crossings; desired speed from the measured speed
at that density; heading from the lines' `in` direction) and simulated in worker threads
(a tick is skipped while the previous one still runs). Each result is stored as a crowd
scenario run flagged `lookahead`, put in the simulation tenant, and, when the predicted
peak reaches a higher band than now, published as a `crowdRiskForecast` event whose payload
says `method: simulation`.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from cctwin.bus.protocol import Bus
from cctwin.bus.subjects import PREFIX
from cctwin.config import CameraConfig, Config
from cctwin.forecast.ledger import CALM, RiskBand, level_of
from cctwin.messages import CrowdForecastPayload, Event, EventKind, Observation, ObservationKind
from cctwin.ngsi.tenants import Tenants
from cctwin.scenarios.crowd.lookahead import LookaheadRequest, run_lookahead
from cctwin.scenarios.crowd.run import CrowdResult
from cctwin.scenarios.crowd.seeding import (
    HotSpotPlace,
    LineCounter,
    ZoneFlow,
    free_speed,
    ground_place,
    in_heading,
    mean_heading,
)
from cctwin.scenarios.models import CrowdScenario
from cctwin.scenarios.records import RunStatus, ScenarioRun
from cctwin.scenarios.runs import ScenarioRunStore, detail_path, pending_run

log = logging.getLogger(__name__)

SUBJECTS = (f"{PREFIX}.observations.>",)
# Simulated warnings keep their ids apart from the statistical forecaster's (same zone, kind).
SIMULATED_TRACK = -2


class LookaheadSimulator(Protocol):
    """Simulates one look-ahead (JuPedSim in the service, a fake in tests)."""

    def simulate(self, request: LookaheadRequest) -> tuple[CrowdScenario, CrowdResult]: ...


class SimulatedTwin(Protocol):
    """Where simulated entities go: the NGSI-LD simulation tenant."""

    def upsert(self, bodies: list[dict[str, Any]]) -> int: ...


class JupedsimLookahead:
    """The real simulator: the on-demand look-ahead's scenario, run by JuPedSim."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def simulate(self, request: LookaheadRequest) -> tuple[CrowdScenario, CrowdResult]:
        return run_lookahead(request, self.config, {})


class LookaheadForecast(BaseModel):
    """One hot spot's look-ahead: what it was seeded with and what it predicts."""

    camera_id: str
    rule_id: str
    zone_id: str
    issued_at: datetime
    horizon_s: float
    seed: ZoneFlow
    max_density: float
    peak_in_s: float
    peak_at: datetime
    band: str
    level_now: str
    run_id: str
    wall_s: float
    per_minute: list[float] = Field(
        default_factory=list, description="The hot spot's highest density in each minute ahead."
    )


@dataclass
class RulePlace:
    """A camera's crowd rule: its bands, where it is on the map and its lines' headings."""

    camera: CameraConfig
    zone_id: str
    bands: list[RiskBand]
    place: HotSpotPlace | None
    headings: dict[str, float]

    def hot(self, level: str, min_level: str) -> bool:
        """Whether `level` is at or above `min_level`; never when the bands lack `min_level`."""
        if min_level not in {b.name for b in self.bands}:
            return False
        return self.rank(level) >= self.rank(min_level)

    def rank(self, level: str) -> int:
        ordered = sorted(self.bands, key=lambda b: b.threshold)
        return {CALM: 0, **{b.name: i + 1 for i, b in enumerate(ordered)}}.get(level, 0)


@dataclass
class ZoneLive:
    """The newest crowd measures of a zone."""

    density: float | None = None
    level: str = CALM
    observed_at: datetime | None = None
    speed_mps: float | None = None


def rule_places(config: Config) -> dict[tuple[str, str], RulePlace]:
    """Every crowd rule of a placed camera with its ground place (None off the ground)."""
    places = {}
    for camera in config.cameras:
        zones = {z.id: z for z in camera.analytics.zones}
        headings = {}
        for line in camera.analytics.lines:
            heading = in_heading(camera, line)
            if heading is not None:
                headings[line.id] = heading
        for crowd in camera.analytics.crowd:
            zone = zones.get(crowd.zone)
            place = ground_place(camera, zone.polygon) if zone is not None else None
            bands = [RiskBand(name=b.name, threshold=b.persons_per_m2) for b in crowd.bands]
            places[(camera.id, crowd.id)] = RulePlace(camera, crowd.zone, bands, place, headings)
    return places


class LookaheadService:
    """Subscriber: crowd and line observations -> a look-ahead per hot spot, every tick."""

    def __init__(
        self,
        config: Config,
        bus: Bus,
        store: ScenarioRunStore,
        simulator: LookaheadSimulator,
        twin: SimulatedTwin | None = None,
    ) -> None:
        self.config = config
        self.settings = config.scenarios.lookahead
        self.bus = bus
        self.store = store
        self.simulator = simulator
        self.twin = twin
        self.places = rule_places(config)
        self.zones: dict[tuple[str, str], ZoneLive] = {}
        self.lines: dict[tuple[str, str], LineCounter] = {}
        self.newest: datetime | None = None
        self._batch: asyncio.Task[list[LookaheadForecast]] | None = None
        self._warned: dict[tuple[str, str], str] = {}
        self.errors: dict[tuple[str, str], str] = {}
        self.ticks = self.skipped = self.runs = self.failures = self.warnings = 0

    async def run(self, stopping: asyncio.Event) -> None:
        subscription = self.bus.subscribe("lookahead", SUBJECTS, durable=False)
        next_tick = time.monotonic() + self.settings.every_s
        try:
            while not stopping.is_set():
                for delivery in await subscription.fetch(500, 0.5):
                    if isinstance(delivery.message, Observation):
                        self.receive(delivery.message)
                if time.monotonic() >= next_tick:
                    next_tick += self.settings.every_s
                    self.tick()
        finally:
            await subscription.close()
            if self._batch is not None:
                await asyncio.gather(self._batch, return_exceptions=True)

    def receive(self, observation: Observation) -> None:
        """Keep a zone's newest density, band and speed, and a line's cumulative `in` count."""
        key = (observation.camera_id, observation.rule_id)
        at = observation.observed_at
        self.newest = at if self.newest is None else max(self.newest, at)
        if observation.kind is ObservationKind.LINE_COUNT_IN:
            self.lines.setdefault(key, LineCounter()).add(at, observation.value)
            return
        if key not in self.places:
            return
        zone = self.zones.setdefault(key, ZoneLive())
        if observation.kind is ObservationKind.CROWD_DENSITY:
            zone.density, zone.observed_at = observation.value, at
            zone.level = observation.level or CALM
        elif observation.kind is ObservationKind.CROWD_SPEED:
            zone.speed_mps = observation.value

    def hot_spots(self) -> list[ZoneFlow]:
        """Zones whose live band is at or above `min_level`, seeded from their flows."""
        if self.newest is None:
            return []
        found = []
        for key, zone in self.zones.items():
            place = self.places[key]
            if zone.density is None or zone.observed_at is None or zone.density <= 0:
                continue
            if (self.newest - zone.observed_at).total_seconds() > self.settings.max_age_s:
                continue  # the camera went quiet: its density is history, not now
            if place.place is None or not place.hot(zone.level, self.settings.min_level):
                continue
            found.append(self.seed(key, zone, place))
        return found

    def seed(self, key: tuple[str, str], zone: ZoneLive, place: RulePlace) -> ZoneFlow:
        """The zone's flows: `in` crossings per minute of its camera's lines and their heading."""
        assert zone.density is not None
        assert zone.observed_at is not None
        assert self.newest is not None
        rates = [
            (line_id, counter.per_minute(self.newest))
            for (camera_id, line_id), counter in self.lines.items()
            if camera_id == key[0]
        ]
        headings = [(place.headings[i], r) for i, r in rates if i in place.headings and r > 0]
        return ZoneFlow(
            camera_id=key[0],
            rule_id=key[1],
            zone_id=place.zone_id,
            observed_at=zone.observed_at,
            density=min(zone.density, 7.0),
            level=zone.level,
            speed_mps=zone.speed_mps,
            inflow_per_min=round(sum(r for _, r in rates), 2),
            heading_deg=mean_heading(headings),
        )

    def request_for(self, flow: ZoneFlow) -> LookaheadRequest:
        place = self.places[(flow.camera_id, flow.rule_id)].place
        assert place is not None
        return LookaheadRequest(
            at=place.at,
            radius_m=place.radius_m,
            persons_per_m2=flow.density,
            inflow_per_min=min(flow.inflow_per_min, 2000.0),
            horizon_s=self.settings.minutes * 60.0,
            step_s=self.settings.step_s,
            free_speed_mps=free_speed(flow.density, flow.speed_mps),
            heading_deg=flow.heading_deg,
        )

    def tick(self) -> bool:
        """Start this tick's look-aheads; False (skipped) while the previous tick still runs."""
        self.ticks += 1
        if self._batch is not None and not self._batch.done():
            self.skipped += 1
            return False
        flows = self.hot_spots()
        if flows:
            self._batch = asyncio.create_task(self.simulate_all(flows))
        return True

    async def simulate_all(self, flows: Sequence[ZoneFlow]) -> list[LookaheadForecast]:
        """Every hot spot, `max_concurrent` at a time, each in a worker thread."""
        gate = asyncio.Semaphore(self.settings.max_concurrent)

        async def one(flow: ZoneFlow) -> LookaheadForecast | None:
            async with gate:
                try:
                    forecast = await asyncio.to_thread(self.simulate, flow)
                except Exception as exc:  # one failed hot spot does not stop the others
                    self.failures += 1
                    self._failed(flow, str(exc))
                    return None
                await self.warn(forecast)
                return forecast

        done = await asyncio.gather(*(one(flow) for flow in flows))
        return [f for f in done if f is not None]

    def _failed(self, flow: ZoneFlow, reason: str) -> None:
        # Logged once per hot spot and reason: the same failure comes back every tick.
        key = (flow.camera_id, flow.rule_id)
        if self.errors.get(key) != reason:
            self.errors[key] = reason
            log.warning("look-ahead of %s/%s failed: %s", flow.camera_id, flow.rule_id, reason)

    def simulate(self, flow: ZoneFlow) -> LookaheadForecast:
        """Simulate, store the run, publish the simulated entity (runs in a worker thread)."""
        request = self.request_for(flow)
        scenario, result = self.simulator.simulate(request)
        place = self.places[(flow.camera_id, flow.rule_id)]
        issued = flow.observed_at
        forecast = LookaheadForecast(
            camera_id=flow.camera_id,
            rule_id=flow.rule_id,
            zone_id=flow.zone_id,
            issued_at=issued,
            horizon_s=request.horizon_s,
            seed=flow,
            max_density=round(result.max_density, 3),
            peak_in_s=round(result.peak_time_s, 1),
            peak_at=issued + timedelta(seconds=result.peak_time_s),
            band=level_of(result.max_density, place.bands),
            level_now=flow.level,
            run_id="",
            wall_s=round(result.wall_s, 2),
            per_minute=minute_peaks(result, scenario.initial[0].id if scenario.initial else ""),
        )
        run = keep_run(scenario, result, forecast, Path(self.config.media.path), self.store)
        forecast = forecast.model_copy(update={"run_id": run.id})
        self.runs += 1
        if self.twin is not None:
            self.twin.upsert([simulated_body(forecast)])
        return forecast

    async def warn(self, forecast: LookaheadForecast) -> bool:
        """A `crowdRiskForecast` event when the predicted band rises above the band now."""
        key = (forecast.camera_id, forecast.rule_id)
        place = self.places[key]
        if place.rank(forecast.band) <= place.rank(forecast.level_now):
            self._warned.pop(key, None)
            return False
        if self._warned.get(key) == forecast.band:
            return False  # as the forecaster: not repeated while the predicted band holds
        self._warned[key] = forecast.band
        event = warning_event(forecast)
        try:
            await asyncio.wait_for(self.bus.publish(event), 5.0)
        except Exception:
            log.warning("could not publish the look-ahead warning of %s", forecast.rule_id)
            return False
        self.warnings += 1
        return True


def minute_peaks(result: CrowdResult, zone_id: str) -> list[float]:
    """The zone's highest density in each simulated minute (empty when it has no series)."""
    zone = next((z for z in result.zones if z.zone_id == zone_id), None)
    if zone is None:
        return []
    peaks: dict[int, float] = {}
    for at, density in zip(result.times, zone.density, strict=False):
        minute = int(at // 60)
        peaks[minute] = max(peaks.get(minute, 0.0), density)
    return [round(peaks[m], 2) for m in sorted(peaks)]


def warning_event(forecast: LookaheadForecast) -> Event:
    """The early warning: a forecast (method simulation) with the peak's horizon and time."""
    return Event(
        kind=EventKind.CROWD_RISK_FORECAST,
        camera_id=forecast.camera_id,
        rule_id=forecast.rule_id,
        zone_id=forecast.zone_id,
        occurred_at=forecast.issued_at,
        frame_index=int(forecast.issued_at.timestamp()),
        track_id=SIMULATED_TRACK,
        class_name="person",
        confidence=1.0,
        payload=CrowdForecastPayload(
            level=forecast.band,
            value=forecast.max_density,
            horizon_min=max(1, math.ceil(forecast.peak_in_s / 60.0)),
            target_at=forecast.peak_at,
            low=forecast.max_density,
            high=forecast.max_density,
            method="simulation",
        ),
    )


def simulated_body(forecast: LookaheadForecast) -> dict[str, Any]:
    """The hot spot's predicted peak as a CrowdFlowObserved of the simulation tenant."""
    live = f"urn:ngsi-ld:CrowdFlowObserved:{forecast.camera_id}:{forecast.rule_id}"
    return {
        "id": f"urn:ngsi-ld:CrowdFlowObserved:sim:lookahead:{forecast.camera_id}:{forecast.rule_id}",
        "type": "CrowdFlowObserved",
        "density": {
            "type": "Property",
            "value": forecast.max_density,
            "observedAt": forecast.peak_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "unitCode": "28",
        },
        "riskLevel": {"type": "Property", "value": forecast.band},
        "simulated": {"type": "Property", "value": True},
        "lookahead": {"type": "Property", "value": True},
        "forecastHorizon": {"type": "Property", "value": forecast.horizon_s, "unitCode": "SEC"},
        "peakTime": {"type": "Property", "value": forecast.peak_in_s, "unitCode": "SEC"},
        "densityPerMinute": {"type": "Property", "value": forecast.per_minute, "unitCode": "28"},
        "scenarioRun": {"type": "Property", "value": forecast.run_id},
        "refCrowdFlowObserved": {"type": "Relationship", "object": live},
    }


def keep_run(
    scenario: CrowdScenario,
    result: CrowdResult,
    forecast: LookaheadForecast,
    media_root: Path,
    store: ScenarioRunStore,
) -> ScenarioRun:
    """Store the look-ahead as a crowd scenario run flagged `lookahead` (row and detail file)."""
    run = pending_run(scenario)
    path = detail_path(media_root, run.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(result.model_dump(mode="json"), handle, separators=(",", ":"))
    summary = {
        **result.summary(),
        "lookahead": True,
        "forecast": forecast.model_dump(mode="json", exclude={"run_id"}),
    }
    done = run.model_copy(
        update={
            "name": f"lookahead-{forecast.rule_id}",
            "status": RunStatus.DONE,
            "finished_at": datetime.now(UTC),
            "summary": summary,
            "detail_path": path.relative_to(media_root).as_posix(),
        }
    )
    store.save_scenario_run(done)
    return done


def latest_forecasts(runs: Sequence[ScenarioRun]) -> list[LookaheadForecast]:
    """The newest stored look-ahead per hot spot (runs newest first)."""
    seen: dict[tuple[str, str], LookaheadForecast] = {}
    for run in runs:
        raw = run.summary.get("forecast")
        if not run.summary.get("lookahead") or not isinstance(raw, dict):
            continue
        forecast = LookaheadForecast.model_validate({**raw, "run_id": run.id})
        seen.setdefault((forecast.camera_id, forecast.rule_id), forecast)
    return list(seen.values())


class TenantTwin:
    """The simulation tenant of the NGSI-LD broker as a SimulatedTwin."""

    def __init__(self, tenants: Tenants, tenant: str) -> None:
        self.tenants = tenants
        self.tenant = tenant

    def upsert(self, bodies: list[dict[str, Any]]) -> int:
        service = self.tenants.get(self.tenant, create=True)
        result = service.broker.batch("upsert", bodies, service.contexts.terms(None))
        return len(bodies) - len(result.errors)
