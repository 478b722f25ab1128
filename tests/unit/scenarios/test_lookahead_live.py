"""The periodic look-ahead: ticks, skips while busy, hot spots only, flows seeding, warnings."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import grant
from fastapi.testclient import TestClient
from shapely.geometry import Point  # type: ignore[import-untyped]
from shapely.ops import nearest_points  # type: ignore[import-untyped]

from cctwin.api.main import create_app
from cctwin.app import Services
from cctwin.bus.local import LocalBus
from cctwin.config import Config
from cctwin.config.loader import parse_config
from cctwin.messages import Event, EventKind, Observation, ObservationKind
from cctwin.scenarios.crowd.lookahead import LookaheadRequest, on_walkable
from cctwin.scenarios.crowd.run import CrowdResult
from cctwin.scenarios.crowd.seeding import exit_shares, forward_exits, free_speed, mean_heading
from cctwin.scenarios.crowd.walkable import walkable_area
from cctwin.scenarios.live import (
    JupedsimLookahead,
    LookaheadService,
    latest_forecasts,
    minute_peaks,
    simulated_body,
)
from cctwin.scenarios.models import (
    CrowdScenario,
    DestinationConfig,
    InitialCrowdConfig,
    RegionConfig,
    RouteShare,
    ZoneConfig,
)
from cctwin.store.sql import SqlStore
from cctwin.twin.layers import load_site_model

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")
REPO = Path(__file__).resolve().parents[3]
# A camera above gate 4 of Gongdeok station looking north, a crowd zone in the lower image
# and a tripwire across it whose `in` side is the top of the image (away from the camera).
CONFIG = """
site: {{osm: {osm}}}
cameras:
  - id: gate4
    source: {{url: clip.mp4}}
    placement: {{lon: 126.9520528, lat: 37.5450136, heading_deg: 0, tilt_deg: 45, height_m: 8}}
    analytics:
      zones:
        - id: plaza
          polygon: [[0.25, 0.3], [0.75, 0.3], [0.75, 0.95], [0.25, 0.95]]
        - id: calm
          polygon: [[0.0, 0.6], [0.2, 0.6], [0.2, 0.95], [0.0, 0.95]]
      lines:
        - id: stairs
          points: [[0.2, 0.8], [0.8, 0.8]]
          in_direction: right_to_left
      crowd:
        - {{id: plaza-crowd, zone: plaza}}
        - {{id: calm-crowd, zone: calm}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
scenarios: {{lookahead: {{min_level: caution, max_concurrent: 1}}}}
"""
T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    osm = REPO / "config" / "site" / "gongdeok.osm"
    return parse_config(CONFIG.format(osm=osm, db=tmp_path / "db", media=tmp_path / "media"))


def obs(kind: ObservationKind, rule: str, value: float, s: float, level: str | None = None) -> Observation:  # fmt: skip
    return Observation(
        kind=kind, camera_id="gate4", rule_id=rule, observed_at=T0 + timedelta(seconds=s),
        value=value, level=level,
    )  # fmt: skip


def fake_result(max_density: float, peak_s: float) -> CrowdResult:
    return CrowdResult(
        wall_s=0.1, simulated_s=600, agents=10, arrived=0, complete=False, step_s=0.05,
        max_density=max_density, peak_time_s=peak_s, peak_zone="hot-spot",
        time_to_danger_s=None, peak_band=None, bands=[], times=[], zones=[],
        frame_times=[], frames=[],
    )  # fmt: skip


class FakeSimulator:
    """Records requests; blocks until released when `gate` is set; predicts a fixed peak."""

    def __init__(self, max_density: float = 4.6, gate: threading.Event | None = None) -> None:
        self.requests: list[LookaheadRequest] = []
        self.max_density = max_density
        self.gate = gate

    def simulate(self, request: LookaheadRequest) -> tuple[CrowdScenario, CrowdResult]:
        self.requests.append(request)
        if self.gate is not None:
            self.gate.wait(10)
        scenario = CrowdScenario(
            kind="crowd", name="lookahead",
            destinations=[DestinationConfig(id="edge", at=(126.95, 37.54))],
            initial=[InitialCrowdConfig(
                id="hot", at=request.at, persons_per_m2=3.5, to=[RouteShare(destination="edge")]
            )],
        )  # fmt: skip
        return scenario, fake_result(self.max_density, 240.0)


class Twin:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def upsert(self, bodies: list[dict[str, Any]]) -> int:
        self.bodies.extend(bodies)
        return len(bodies)


def feed(service: LookaheadService) -> None:
    """Plaza at 3.5 p/m2 (caution) walking 0.25 m/s; calm zone at 1 p/m2; 30 in a minute."""
    service.receive(obs(ObservationKind.CROWD_DENSITY, "plaza-crowd", 3.5, 60, "caution"))
    service.receive(obs(ObservationKind.CROWD_SPEED, "plaza-crowd", 0.25, 60))
    service.receive(obs(ObservationKind.CROWD_DENSITY, "calm-crowd", 1.0, 60, None))
    service.receive(obs(ObservationKind.LINE_COUNT_IN, "stairs", 100, 0))
    service.receive(obs(ObservationKind.LINE_COUNT_IN, "stairs", 130, 60))


def test_seeding_from_flows(config: Config, tmp_path: Path) -> None:
    service = LookaheadService(config, LocalBus(), SqlStore.open(config.store), FakeSimulator())
    feed(service)
    (flow,) = service.hot_spots()  # the calm zone is no hot spot
    assert flow.rule_id == "plaza-crowd"
    assert flow.inflow_per_min == pytest.approx(30.0)
    # `in` is right-to-left of a left-to-right line: up the image, away from a north-facing camera.
    assert flow.heading_deg is not None
    assert min(flow.heading_deg, 360 - flow.heading_deg) < 5
    request = service.request_for(flow)
    assert request.persons_per_m2 == 3.5
    assert request.inflow_per_min == pytest.approx(30.0)
    assert request.horizon_s == 600
    # 0.25 m/s at 3.5 p/m2 is what Weidmann predicts for a walker of about 1.4 m/s.
    assert request.free_speed_mps == pytest.approx(free_speed(3.5, 0.25))
    assert 1.3 < request.free_speed_mps < 1.5  # type: ignore[operator]
    assert request.at is not None
    assert abs(request.at[1] - 37.5450136) > 1e-5  # north of the camera, on the ground
    assert 3 <= request.radius_m <= 60


def test_seeding_helpers() -> None:
    # Exits north and south; a northward flow sends most people north, some back south.
    north, south = exit_shares([(0, 50), (0, -50)], 0.0)
    assert north == pytest.approx(1.1)
    assert south == pytest.approx(0.1)
    assert exit_shares([(0, 50), (0, -50)], None) == [1.0, 1.0]
    assert free_speed(2.0, None) is None
    assert free_speed(6.0, 0.1) is None  # at jam density the diagram says nothing
    assert mean_heading([(350.0, 1.0), (10.0, 1.0)]) == pytest.approx(0.0, abs=1e-6)
    assert mean_heading([]) is None


def test_ticks_skip_while_busy_and_publish(config: Config) -> None:
    store = SqlStore.open(config.store)
    gate = threading.Event()
    simulator, twin = FakeSimulator(gate=gate), Twin()

    async def scenario() -> tuple[list[Event], LookaheadService]:
        bus = LocalBus()
        await bus.start()
        watcher = bus.subscribe("watch", ("cctwin.v1.events.>",), durable=False)
        service = LookaheadService(config, bus, store, simulator, twin)
        assert service.tick()  # nothing live yet: nothing to simulate
        feed(service)
        assert service.tick()
        await asyncio.sleep(0.1)
        assert not service.tick()  # still simulating: this tick is skipped
        gate.set()
        assert service._batch is not None
        (forecast,) = await service._batch
        assert forecast.band == "alert"
        assert service.tick()
        assert service._batch is not None
        await service._batch
        events = [d.message for d in await watcher.fetch(10, 0.2)]
        await bus.close()
        return [e for e in events if isinstance(e, Event)], service

    try:
        events, service = asyncio.run(scenario())
        assert (service.ticks, service.skipped, service.runs) == (4, 1, 2)
        assert [r.persons_per_m2 for r in simulator.requests] == [3.5, 3.5]
        # Predicted 4.6 p/m2 (alert) while the zone is at caution now: an early warning.
        # Two look-aheads both predict alert: one warning, not repeated while the band holds.
        warnings = [e for e in events if e.kind is EventKind.CROWD_RISK_FORECAST]
        assert len(warnings) == 1
        payload = warnings[0].payload
        assert payload.type == "crowd_forecast"
        assert payload.method == "simulation"  # type: ignore[union-attr]
        assert payload.horizon_min == 4  # type: ignore[union-attr]
        assert warnings[0].zone_id == "plaza"
        # Stored as crowd runs flagged look-ahead; the simulated entity refers to the run.
        latest = latest_forecasts(store.scenario_runs(10, "crowd"))
        assert [f.rule_id for f in latest] == ["plaza-crowd"]
        assert latest[0].max_density == pytest.approx(4.6)
        assert twin.bodies[-1]["simulated"]["value"] is True
        assert twin.bodies[-1]["scenarioRun"]["value"] == latest[0].run_id
    finally:
        store.close()


def test_no_warning_when_the_band_does_not_rise(config: Config) -> None:
    store = SqlStore.open(config.store)
    service = LookaheadService(config, LocalBus(), store, FakeSimulator(max_density=3.2))
    feed(service)
    try:
        (flow,) = service.hot_spots()
        forecast = service.simulate(flow)
        assert forecast.band == "caution"
        assert not asyncio.run(service.warn(forecast))
        assert simulated_body(forecast)["riskLevel"]["value"] == "caution"
    finally:
        store.close()


def test_stale_zone_is_no_hot_spot(config: Config) -> None:
    service = LookaheadService(config, LocalBus(), SqlStore.open(config.store), FakeSimulator())
    feed(service)
    service.receive(obs(ObservationKind.CROWD_DENSITY, "calm-crowd", 1.0, 600, None))
    assert service.hot_spots() == []  # the plaza's last density is 9 minutes old


def test_a_min_level_the_bands_lack_makes_no_hot_spot(config: Config) -> None:
    settings = config.scenarios.lookahead.model_copy(update={"min_level": "orange"})
    scenarios = config.scenarios.model_copy(update={"lookahead": settings})
    config = config.model_copy(update={"scenarios": scenarios})
    service = LookaheadService(config, LocalBus(), SqlStore.open(config.store), FakeSimulator())
    feed(service)
    assert service.hot_spots() == []  # not every zone (calm included)


def test_a_real_short_jupedsim_lookahead(config: Config) -> None:
    service = LookaheadService(
        config, LocalBus(), SqlStore.open(config.store), JupedsimLookahead(config)
    )
    feed(service)
    (flow,) = service.hot_spots()
    request = service.request_for(flow).model_copy(update={"horizon_s": 60.0, "radius_m": 5.0})
    scenario, result = service.simulator.simulate(request)
    assert scenario.speed.mean_mps == pytest.approx(request.free_speed_mps)
    assert scenario.sources[0].rate_per_min == pytest.approx(30.0)
    assert result.agents > 20
    assert result.simulated_s <= 60.0
    assert result.max_density > 1.0
    # The hot spot's density per simulated minute: it starts at the seeded 3.5 p/m2.
    peaks = minute_peaks(result, scenario.initial[0].id)
    assert 1 <= len(peaks) <= 2
    assert peaks[0] == pytest.approx(3.5, rel=0.3)


def test_forward_exits_and_the_latest_route(config: Config) -> None:
    exits = [(0.0, 50.0), (40.0, 30.0), (0.0, -50.0), (50.0, -1.0)]
    assert forward_exits(exits, 0.0) == [0, 1]  # within 90 degrees of north
    assert forward_exits(exits, None) == [0, 1, 2, 3]
    services = Services(config, start_workers=False)
    service = LookaheadService(config, LocalBus(), services.store, FakeSimulator())
    feed(service)
    (flow,) = service.hot_spots()
    forecast = service.simulate(flow)
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as client:
        assert client.get("/api/scenarios/lookahead/latest").status_code == 401
        client.headers.update(grant(services.store, "viewer", "planner"))
        (latest,) = client.get("/api/scenarios/lookahead/latest").json()
    assert latest["run_id"] == forecast.run_id
    assert latest["band"] == "alert"
    assert latest["seed"]["inflow_per_min"] == pytest.approx(30.0)


def test_the_subscriber_ticks_on_the_local_bus(config: Config) -> None:
    settings = config.scenarios.lookahead.model_copy(update={"every_s": 1.0})
    scenarios = config.scenarios.model_copy(update={"lookahead": settings})
    config = config.model_copy(update={"scenarios": scenarios})
    store = SqlStore.open(config.store)

    async def scenario() -> LookaheadService:
        bus = LocalBus()
        await bus.start()
        service = LookaheadService(config, bus, store, FakeSimulator())
        stopping = asyncio.Event()
        task = asyncio.create_task(service.run(stopping))
        await asyncio.sleep(0.1)
        await bus.publish(obs(ObservationKind.CROWD_DENSITY, "plaza-crowd", 3.5, 60, "caution"))
        for _ in range(60):
            await asyncio.sleep(0.1)
            if service.runs:
                break
        stopping.set()
        await task
        await bus.close()
        return service

    try:
        service = asyncio.run(scenario())
        assert service.ticks >= 1
        assert service.runs == 1
        assert service.warnings == 1  # 4.6 p/m2 predicted (alert) above caution now
    finally:
        store.close()


def test_a_hot_spot_off_the_mapped_streets_moves_onto_them_or_is_refused(config: Config) -> None:
    # 47 m from any mapped street of the extract (a calibrated camera zone of the demo).
    far = (126.95240171743384, 37.54372291708626)
    region = RegionConfig(center=far, radius_m=120)
    walkable = walkable_area(load_site_model(config.site), far, region)
    centre = Point(walkable.to_metres(far))
    with pytest.raises(ValueError, match="47 m from the site model's walkable streets"):
        on_walkable(ZoneConfig(id="hot", at=far, radius_m=8), walkable)
    # 10 m off the street, on the line to that far point: moved onto the street's edge.
    _, edge = nearest_points(centre, walkable.polygon)
    step = (centre.x - edge.x, centre.y - edge.y)
    scale = 10.0 / math.hypot(*step)
    ((lon, lat),) = walkable.to_lonlat([(edge.x + step[0] * scale, edge.y + step[1] * scale)])
    moved = on_walkable(ZoneConfig(id="hot", at=(float(lon), float(lat)), radius_m=8), walkable)
    assert moved.at is not None
    assert walkable.polygon.distance(Point(walkable.to_metres(moved.at))) < 0.01
    near = on_walkable(moved, walkable)
    assert near.at == moved.at  # already on it: unchanged


def test_a_failing_hot_spot_is_counted_and_kept_once(config: Config) -> None:
    class Broken(FakeSimulator):
        def simulate(self, request: LookaheadRequest) -> tuple[CrowdScenario, CrowdResult]:
            raise ValueError("the hot spot is 47 m from the site model's walkable streets")

    service = LookaheadService(config, LocalBus(), SqlStore.open(config.store), Broken())
    feed(service)
    flows = service.hot_spots()
    assert asyncio.run(service.simulate_all(flows)) == []
    assert asyncio.run(service.simulate_all(flows)) == []
    assert service.failures == 2
    assert service.errors == {("gate4", "plaza-crowd"): "the hot spot is 47 m from the site model's walkable streets"}  # fmt: skip


def test_the_service_wires_it_when_enabled(config: Config) -> None:
    settings = config.scenarios.lookahead.model_copy(update={"enabled": True, "every_s": 1.0})
    scenarios = config.scenarios.model_copy(update={"lookahead": settings})
    services = Services(config.model_copy(update={"scenarios": scenarios}), start_workers=False)
    services.lookahead.simulator = FakeSimulator()
    twin = Twin()
    services.lookahead.twin = twin
    with TestClient(create_app(services, web_dir=Path("/nonexistent"))) as client:
        density = obs(ObservationKind.CROWD_DENSITY, "plaza-crowd", 3.5, 60, "caution")
        assert services.loop is not None
        asyncio.run_coroutine_threadsafe(services.bus.publish(density), services.loop).result(5)
        for _ in range(50):
            if services.lookahead.runs:
                break
            time.sleep(0.1)
        client.headers.update(grant(services.store, "viewer", "planner"))
        (latest,) = client.get("/api/scenarios/lookahead/latest").json()
    assert latest["rule_id"] == "plaza-crowd"
    assert twin.bodies[0]["id"].endswith(":lookahead:gate4:plaza-crowd")
