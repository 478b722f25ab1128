"""Dry-background cue on generated road sequences: vetoes dry look-alikes, keeps real water."""

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from cctwin.analytics.flood.background import DryBackground
from cctwin.analytics.flood.monitor import FloodMonitor

T0 = datetime(2026, 7, 1, tzinfo=UTC)
FULL = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
H, W = 180, 320


def _dry_scene(seed: int) -> npt.NDArray[np.uint8]:
    """Grey textured asphalt with lane marks and a wall; per-frame sensor noise."""
    rng = np.random.default_rng(0)
    img = np.full((H, W, 3), 95, np.float32)
    img += rng.normal(0, 25, (H, W, 1)).repeat(3, axis=2)  # coarse asphalt grain
    img[:, :, :] += np.kron(rng.normal(0, 18, (H // 6, W // 8, 1)), np.ones((6, 8, 3)))
    img[: H // 3] = (150, 160, 170)  # wall
    img[H // 2 :, 40:300:40] = 230  # lane marks
    img += np.random.default_rng(seed).normal(0, 2, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _flooded(seed: int, from_row: int) -> npt.NDArray[np.uint8]:
    """Smooth brown water over the road below `from_row`."""
    img = _dry_scene(seed)
    water = np.full((H - from_row, W, 3), (70, 110, 140), np.float32)
    water += np.linspace(0, 15, W)[None, :, None]  # a gentle sky reflection gradient
    img[from_row:] = water.astype(np.uint8)
    return img


def _lower_half_segmenter(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A segmenter that always calls the lower half water: wrong on the dry road."""
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[image.shape[0] // 2 :] = 255
    return mask


def _monitor(background: DryBackground | None) -> FloodMonitor:
    return FloodMonitor(
        _lower_half_segmenter, FULL, alert_fraction=0.3, danger_fraction=0.6, background=background
    )


def test_change_is_none_until_learned_then_low_on_dry_frames() -> None:
    bg = DryBackground(frames=5, min_frames=3)
    assert bg.change(_dry_scene(1)) is None
    for i in range(3):
        bg.offer(_dry_scene(i))
    change = bg.change(_dry_scene(10))
    assert change is not None
    assert change.shape == (H, W)
    assert float(change.mean()) < 0.1


def test_change_high_on_water_low_elsewhere_and_robust_to_lighting() -> None:
    bg = DryBackground(frames=5, min_frames=3)
    for i in range(5):
        bg.offer(_dry_scene(i))
    change = bg.change(_flooded(11, H // 2))
    assert change is not None
    assert float(change[H // 2 + 10 :].mean()) > 0.6
    assert float(change[: H // 2 - 10].mean()) < 0.1
    brighter = np.clip(_dry_scene(12).astype(np.int16) + 30, 0, 255).astype(np.uint8)
    lit = bg.change(brighter)
    assert lit is not None
    assert float(lit.mean()) < 0.2


def test_background_vetoes_a_segmenter_false_alarm_on_the_dry_road() -> None:
    plain = _monitor(None)
    learned = _monitor(DryBackground(frames=5, min_frames=3))
    readings = [
        (plain.update(_dry_scene(i), T0), learned.update(_dry_scene(i), T0)) for i in range(6)
    ]
    assert all(p.status == "alert" for p, _ in readings)
    # The first frames have no background yet; afterwards the false water is dropped.
    assert readings[0][1].background_change is None
    assert [r.status for _, r in readings[3:]] == ["normal"] * 3
    assert all(r.covered_fraction < 0.05 for _, r in readings[3:])


def test_real_water_passes_and_is_never_learned_as_background() -> None:
    mon = _monitor(DryBackground(frames=5, min_frames=3))
    for i in range(5):
        mon.update(_dry_scene(i), T0 + timedelta(seconds=5 * i))
    flooded = [
        mon.update(_flooded(20 + i, H // 2), T0 + timedelta(minutes=1 + i)) for i in range(8)
    ]
    # Eight flooded frames would dominate a 5-frame median if they were being learned.
    assert all(r.status == "alert" for r in flooded)
    assert all(r.covered_fraction > 0.45 for r in flooded)
    assert all(r.background_change is not None and r.background_change > 0.3 for r in flooded)
    receded = mon.update(_dry_scene(40), T0 + timedelta(minutes=10))
    assert receded.status == "normal"


def test_change_uses_the_median_of_every_sample_offered_so_far() -> None:
    """The median is taken when a change map is asked for; offers in between only queue."""
    bg = DryBackground(frames=5, min_frames=3)
    for i in range(4):
        bg.offer(_dry_scene(i))
    first = bg.change(_dry_scene(10))
    for i in range(4, 7):  # pushes the oldest two out of the five-sample window
        bg.offer(_dry_scene(i))
    again = DryBackground(frames=5, min_frames=3)
    for i in range(2, 7):
        again.offer(_dry_scene(i))
    later, expected = bg.change(_dry_scene(10)), again.change(_dry_scene(10))
    assert first is not None
    assert later is not None
    assert expected is not None
    np.testing.assert_array_equal(later, expected)
    assert not np.array_equal(first, later)
