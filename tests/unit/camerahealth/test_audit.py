"""The auditor: reference view, hysteresis (hold before raise and clear), typed results."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from test_measures import scene

from cctwin.camerahealth.audit import CameraAuditor, offline_health
from cctwin.camerahealth.faults import Fault, FaultKind, apply
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.config.loader import parse_config
from cctwin.messages import CameraHealth, HealthReason

START = datetime(2026, 12, 6, tzinfo=UTC)
CONFIG = CameraHealthConfig(reference_s=5, raise_after_s=3, clear_after_s=4, frozen_after_s=3)


def frames(seconds: int, fault: Fault | None = None, from_s: int = 0, to_s: int = 10**6):
    """A live still scene (fresh sensor noise each second), with `fault` in [from_s, to_s)."""
    base = scene(0)
    rng = np.random.default_rng(5)
    frozen = None
    for t in range(seconds):
        image = np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)
        if fault is not None and from_s <= t < to_s:
            frozen = image if frozen is None else frozen
            image = apply(fault, image, frozen, seed=t)
        yield float(t), image


def run(auditor: CameraAuditor, feed, scale: float = 1.0) -> list[tuple[float, HealthReason, bool]]:
    changes = []
    for t, image in feed:
        update = auditor.update(image, t, START + timedelta(seconds=t), scale)
        changes += [(t, c.reason, c.raised) for c in update.changes]
    return changes


def test_a_clean_camera_raises_nothing_but_its_resolution() -> None:
    auditor = CameraAuditor(CONFIG)
    changes = run(auditor, frames(30))
    assert changes == [(0.0, HealthReason.UNDER_2MP, True)]
    assert auditor.reference is not None


def test_full_hd_is_not_under_2mp() -> None:
    auditor = CameraAuditor(CONFIG)
    update = auditor.update(scene(), 0.0, START, scale=6.0)  # 320 x 240 analysed, 1920 x 1440
    assert update.health.megapixels == pytest.approx(2.765, abs=0.01)
    assert update.health.reasons == []


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(kind=FaultKind.BLUR, amount=0.02), HealthReason.BLURRED),
        (Fault(kind=FaultKind.GAIN, amount=0.2), HealthReason.DARK),
        (Fault(kind=FaultKind.FREEZE, amount=1), HealthReason.FROZEN),
        (Fault(kind=FaultKind.COVER, amount=0.8), HealthReason.COVERED),
        (Fault(kind=FaultKind.SHIFT, amount=0.08), HealthReason.MOVED),
    ],
)
def test_a_fault_is_raised_after_its_hold_and_cleared_after_its_own(
    fault: Fault, reason: HealthReason
) -> None:
    auditor = CameraAuditor(CONFIG)
    changes = [c for c in run(auditor, frames(30, fault, 10, 20)) if c[1] is reason]
    # Held from 10 s for 3 s; a freeze repeats the picture of 10 s, so it differs from 11 s.
    first = 14.0 if fault.kind is FaultKind.FREEZE else 13.0
    assert changes[0] == (first, reason, True)
    assert changes[1][2] is False
    assert 23.0 <= changes[1][0] <= 25.0


def test_a_fault_shorter_than_its_hold_raises_nothing() -> None:
    auditor = CameraAuditor(CONFIG)
    changes = run(auditor, frames(20, Fault(kind=FaultKind.GAIN, amount=0.2), 10, 12))
    assert [c for c in changes if c[1] is HealthReason.DARK] == []


def test_each_check_carries_its_value_and_threshold() -> None:
    auditor = CameraAuditor(CONFIG)
    health = None
    for t, image in frames(8, Fault(kind=FaultKind.GAIN, amount=0.2), 6):
        health = auditor.update(image, t, START).health
    assert health is not None
    assert health.reference_ready
    dark = next(c for c in health.checks if c.reason is HealthReason.DARK)
    assert dark.measure == "mean_luma"
    assert dark.threshold is not None
    assert dark.value < dark.threshold


def test_the_worst_reason_orders_the_map_colour() -> None:
    health = CameraHealth(
        measured_at=START,
        megapixels=0.4,
        reasons=[HealthReason.UNDER_2MP, HealthReason.BLURRED, HealthReason.MOVED],
        checks=[],
    )
    assert health.worst is HealthReason.MOVED
    assert offline_health(START).worst is HealthReason.OFFLINE


def test_sampling_is_by_stream_time_and_restarts_with_a_looped_file() -> None:
    auditor = CameraAuditor(CONFIG)
    assert auditor.due(0.0)
    auditor.update(scene(), 0.0, START)
    assert not auditor.due(0.5)
    assert auditor.due(1.0)
    assert auditor.due(-3.0)  # the stream went back in time


def test_config_validation() -> None:
    with pytest.raises(ValidationError):
        CameraHealthConfig(reference_s=1, sample_interval_s=1)
    with pytest.raises(ValidationError):
        CameraHealthConfig.model_validate({"thresholds": {"blur_ratio": 1.5}})
    with pytest.raises(ValidationError):
        CameraHealthConfig.model_validate({"unknown": 1})
    config = parse_config("camera_health: {sample_interval_s: 2, thresholds: {dark_luma: 20}}")
    assert config.camera_health.thresholds.dark_luma == 20
    assert config.camera_health.sample_interval_s == 2


def test_a_substream_gives_no_resolution_verdict() -> None:
    auditor = CameraAuditor(CONFIG)
    update = auditor.update(scene(), 0.0, START, main_stream=False)
    check = next(c for c in update.health.checks if c.reason is HealthReason.UNDER_2MP)
    assert check.measure == "substream_mp"
    assert check.threshold is None
    assert update.health.reasons == []
