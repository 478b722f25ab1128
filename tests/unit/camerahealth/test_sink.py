"""The audit in the worker: sampled frames, health on the status, events on raise and clear,
the Camera entity's resolutionMP and cameraHealth."""

from datetime import UTC, datetime, timedelta

import numpy as np
from test_measures import scene

from cctwin.camerahealth.faults import Fault, FaultKind, apply
from cctwin.camerahealth.sink import HealthSink, health_event
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.config.loader import parse_config
from cctwin.loop import CameraRuntime
from cctwin.messages import (
    BusMessage,
    CameraState,
    CameraStatus,
    Event,
    EventKind,
    HealthCheck,
    HealthPayload,
    HealthReason,
)
from cctwin.pipeline import StepResult
from cctwin.types import Analysis, Detections, Frame
from cctwin.workers import camera_status

START = datetime(2026, 12, 6, tzinfo=UTC)
CONFIG = """
cameras:
  - id: trail
    source: {url: clip.mp4}
    placement: {lon: 126.951, lat: 37.544}
"""


class Collect:
    def __init__(self) -> None:
        self.messages: list[BusMessage] = []

    def publish(self, message: BusMessage) -> None:
        self.messages.append(message)

    def close(self, timeout_s: float = 5.0) -> None:
        pass


def step(t: float, image: np.ndarray) -> StepResult:
    frame = Frame("trail", int(t * 4) + 1, START + timedelta(seconds=t), t, image)
    empty = Detections.empty()
    return StepResult(frame, empty, empty, Analysis())


def test_sink_samples_publishes_events_and_status_on_change() -> None:
    config = parse_config(CONFIG)
    publisher = Collect()
    health = CameraHealthConfig(reference_s=4, raise_after_s=2, clear_after_s=2)
    sink = HealthSink(health, publisher, camera_status)
    runtime = CameraRuntime(config.cameras[0])
    rng = np.random.default_rng(0)
    base = scene(1)
    for quarter in range(4 * 20):  # 4 frames per second, 20 s; dark from 8 s to 14 s
        t = quarter / 4
        image = np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)
        if 8 <= t < 14:
            image = apply(Fault(kind=FaultKind.GAIN, amount=0.2), image, None)
        sink.on_step(runtime, step(t, image))
    assert len(sink.auditors["trail"]._building.samples) == 0  # reference built, 1 sample/s
    events = [m for m in publisher.messages if isinstance(m, Event)]
    dark = [e for e in events if isinstance(e.payload, HealthPayload)
            and e.payload.reason is HealthReason.DARK]  # fmt: skip
    assert [e.payload.raised for e in dark] == [True, False]  # type: ignore[union-attr]
    assert dark[0].kind is EventKind.CAMERA_HEALTH
    assert dark[0].level == "raised"
    assert dark[0].occurred_at == START + timedelta(seconds=10)
    statuses = [m for m in publisher.messages if isinstance(m, CameraStatus)]
    assert any(s.health and HealthReason.DARK in s.health.reasons for s in statuses)
    assert runtime.health is not None
    assert HealthReason.DARK not in runtime.health.reasons


def test_camera_entity_carries_resolution_and_health() -> None:
    from cctwin.twin.projector import TwinProjector

    config = parse_config(CONFIG)
    # Projecting is pure: no broker, bus or @context is touched until the bodies are sent.
    twin = TwinProjector(None, None, config, None)  # type: ignore[arg-type]
    runtime = CameraRuntime(config.cameras[0])
    sink = HealthSink(CameraHealthConfig(), Collect(), camera_status)
    sink.on_step(runtime, step(0.0, scene(0)))
    status = camera_status(runtime, 0.0).model_copy(update={"state": CameraState.ONLINE})
    bodies = {b["id"]: b for b in twin.project([status])}
    camera = bodies["urn:ngsi-ld:Camera:trail"]
    assert camera["resolutionMP"]["value"] == 0.077
    assert camera["cameraHealth"]["value"]["status"] == "under_2mp"
    assert camera["cameraHealth"]["value"]["reasons"] == ["under_2mp"]


def test_an_alert_rule_takes_raised_faults_only() -> None:
    from cctwin.alerts.rules import matches

    config = parse_config(
        CONFIG
        + """
alerts:
  rules:
    - {id: fault, event_kinds: [camera_health], levels: [raised], zones: [health.covered]}
"""
    )
    rule = config.alerts.rules[0]
    frame = step(1.0, scene(0)).frame
    check = HealthCheck(reason=HealthReason.COVERED, measure="flat_share", value=0.9,
                        threshold=0.5, raised=True)  # fmt: skip
    assert matches(rule, health_event("trail", frame, check))
    cleared = check.model_copy(update={"raised": False})
    assert not matches(rule, health_event("trail", frame, cleared))
    other = check.model_copy(update={"reason": HealthReason.DARK})
    assert not matches(rule, health_event("trail", frame, other))


def test_api_camera_rows_carry_the_health() -> None:
    from cctwin.api.schemas import camera_read

    config = parse_config(CONFIG)
    runtime = CameraRuntime(config.cameras[0])
    HealthSink(CameraHealthConfig(), Collect(), camera_status).on_step(runtime, step(0.0, scene(0)))
    row = camera_read(config.cameras[0], camera_status(runtime, 0.0))
    assert row.health is not None
    assert row.health.reasons == [HealthReason.UNDER_2MP]
    assert row.model_dump(mode="json")["health"]["megapixels"] == 0.077


def test_under_2mp_is_on_the_status_but_not_an_event() -> None:
    config = parse_config(CONFIG)
    publisher = Collect()
    runtime = CameraRuntime(config.cameras[0])
    HealthSink(CameraHealthConfig(), publisher, camera_status).on_step(runtime, step(0.0, scene(0)))
    assert [m for m in publisher.messages if isinstance(m, Event)] == []
    statuses = [m for m in publisher.messages if isinstance(m, CameraStatus)]
    assert statuses[0].health is not None
    assert statuses[0].health.reasons == [HealthReason.UNDER_2MP]
