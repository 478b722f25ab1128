from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest

from cctwin.config.camera import MotionConfig
from cctwin.ingest.motion import MotionGate, MotionGates
from cctwin.types import Detections, Frame

WIDTH, HEIGHT = 640, 360
ON = MotionConfig(enabled=True)


def scene(seed: int = 0) -> npt.NDArray[np.uint8]:
    """A textured background, the same for every seed-0 call."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(40, 200, size=(HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1))


def noisy(
    image: npt.NDArray[np.uint8], rng: np.random.Generator, sigma: float
) -> npt.NDArray[np.uint8]:
    noise = rng.normal(0, sigma, size=image.shape)
    return np.clip(image.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def frame(image: npt.NDArray[np.uint8], t: float, camera: str = "cam") -> Frame:
    return Frame(
        camera_id=camera,
        index=int(t) + 1,
        captured_at=datetime.fromtimestamp(t, UTC),
        stream_time_s=t,
        image=image,
    )


def with_square(
    image: npt.NDArray[np.uint8], x: int, y: int, size: int = 20
) -> npt.NDArray[np.uint8]:
    out = image.copy()
    out[y : y + size, x : x + size] = (20, 20, 230)
    return out


def boxes(n: int) -> Detections:
    return Detections(
        xyxy=np.tile(np.array([[10, 10, 50, 90]], np.float32), (n, 1)),
        confidence=np.full(n, 0.9, np.float32),
        class_id=np.zeros(n, np.int32),
    )


def test_static_sensor_noise_does_not_fire() -> None:
    gate = MotionGate(ON)
    rng = np.random.default_rng(1)
    background = scene()
    assert gate.moved(frame(noisy(background, rng, 8), 0.0))  # the first frame: no reference
    fired = [gate.moved(frame(noisy(background, rng, 8), t)) for t in range(1, 10)]
    assert fired == [False] * 9
    assert gate.skipped == 9


def test_a_moving_square_fires_every_frame() -> None:
    gate = MotionGate(ON)
    rng = np.random.default_rng(2)
    background = scene()
    gate.moved(frame(noisy(with_square(background, 100, 100), rng, 8), 0.0))
    # A 20 px square (a distant person at 640 px wide) moving 30 px per analysed frame.
    fired = [
        gate.moved(frame(noisy(with_square(background, 100 + 30 * t, 100), rng, 8), t))
        for t in range(1, 8)
    ]
    assert fired == [True] * 7


def test_slow_creep_adds_up_against_the_last_detected_frame() -> None:
    gate = MotionGate(ON)
    background = scene()
    gate.moved(frame(with_square(background, 100, 100), 0.0))
    # 1 px a frame is below the gate against the previous frame, not against the reference.
    fired = [gate.moved(frame(with_square(background, 100 + t, 100), t)) for t in range(1, 9)]
    assert not fired[0]
    assert any(fired)


def test_the_detector_runs_at_least_every_max_still_s() -> None:
    gate = MotionGate(MotionConfig(enabled=True, max_still_s=3.0))
    image = scene()
    fired = [gate.moved(frame(image, float(t))) for t in range(8)]
    assert fired == [True, False, False, True, False, False, True, False]


def test_a_disabled_gate_always_detects() -> None:
    gate = MotionGate(MotionConfig(enabled=False))
    image = scene()
    assert all(gate.moved(frame(image, float(t))) for t in range(5))


def test_a_new_image_size_or_time_going_back_is_not_still() -> None:
    gate = MotionGate(ON)
    image = scene()
    assert gate.moved(frame(image, 5.0))
    assert not gate.moved(frame(image, 6.0))
    assert gate.moved(frame(image, 2.0))
    assert gate.moved(frame(np.ascontiguousarray(image[:, :320]), 3.0))


def test_gates_detect_only_moved_frames_and_hold_boxes_for_still_ones() -> None:
    gates = MotionGates({"a": ON, "b": ON})
    image = scene()
    seen: list[list[str]] = []

    def detect(frames: list[Frame]) -> list[Detections]:
        seen.append([f.camera_id for f in frames])
        return [boxes(2) if f.camera_id == "a" else boxes(1) for f in frames]

    first = gates.detect([frame(image, 0.0, "a"), frame(image, 0.0, "b")], detect)
    assert [len(d) for d in first] == [2, 1]
    moved_b = with_square(image, 300, 200)
    second = gates.detect([frame(image, 1.0, "a"), frame(moved_b, 1.0, "b")], detect)
    assert seen == [["a", "b"], ["b"]]
    assert second[0] is first[0]  # still: camera a's last boxes, tracked again
    assert len(second[1]) == 1
    third = gates.detect([frame(image, 2.0, "a")], detect)
    assert len(seen) == 2  # the detector was not called again
    assert third[0] is first[0]
    assert gates.skipped_share() == pytest.approx(2 / 5)


def test_a_camera_added_later_starts_without_a_reference() -> None:
    gates = MotionGates({})
    gates.add("late", ON)
    image = scene()
    calls: list[int] = []

    def detect(frames: list[Frame]) -> list[Detections]:
        calls.append(len(frames))
        return [boxes(1) for _ in frames]

    gates.detect([frame(image, 0.0, "late")], detect)
    gates.detect([frame(image, 1.0, "late")], detect)
    assert calls == [1]
    gates.remove("late")
    with pytest.raises(KeyError):
        gates.detect([frame(image, 2.0, "late")], detect)
