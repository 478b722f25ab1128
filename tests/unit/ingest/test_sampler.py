"""Sampler: which decoded frames are analysed, by frame index or by stream time."""

import math

import pytest

from cctwin.config import SamplingConfig, SamplingMode
from cctwin.ingest.pyav import Sampler


def picked(
    sampling: SamplingConfig, source_fps: float, seconds: float, t0: float = 0.0
) -> list[int]:
    """1-based indices of the frames chosen from a steady `source_fps` timeline."""
    sampler = Sampler(sampling)
    count = round(source_fps * seconds)
    return [i for i in range(1, count + 1) if sampler.wants(i, t0 + (i - 1) / source_fps)]


def test_all_picks_every_frame() -> None:
    assert picked(SamplingConfig(mode=SamplingMode.ALL), 25, 2) == list(range(1, 51))


def test_keyframes_mode_leaves_the_choice_to_the_decoder() -> None:
    assert picked(SamplingConfig(mode=SamplingMode.KEYFRAMES), 25, 1) == list(range(1, 26))


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, list(range(1, 21))),
        (2, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]),
        (5, [1, 6, 11, 16]),
        (7, [1, 8, 15]),
        (25, [1]),
    ],
)
def test_every_n_picks_frames_1_1_plus_n(n: int, expected: list[int]) -> None:
    assert picked(SamplingConfig(mode=SamplingMode.EVERY, every=n), 25, 0.8) == expected


def test_every_n_ignores_time() -> None:
    sampler = Sampler(SamplingConfig(mode=SamplingMode.EVERY, every=5))
    assert [sampler.wants(i, 1000.0) for i in (1, 2, 5, 6, 11, 12)] == [
        True, False, False, True, True, False,
    ]  # fmt: skip


def test_25fps_sampled_at_5fps_picks_exactly_every_5th_frame() -> None:
    frames = picked(SamplingConfig(mode=SamplingMode.FPS, fps=5), 25, 10)
    assert len(frames) == 50
    assert frames == list(range(1, 251, 5))


def test_25fps_sampled_at_1fps_picks_one_per_second() -> None:
    frames = picked(SamplingConfig(mode=SamplingMode.FPS, fps=1), 25, 10)
    assert frames == [1, 26, 51, 76, 101, 126, 151, 176, 201, 226]


@pytest.mark.parametrize("t0", [0.0, 3600.123, 86399.96])
def test_fps_sampling_does_not_depend_on_the_start_time(t0: float) -> None:
    frames = picked(SamplingConfig(mode=SamplingMode.FPS, fps=5), 25, 10, t0=t0)
    assert frames == list(range(1, 251, 5))


def test_7fps_sampled_at_2fps_has_no_drift_over_a_minute() -> None:
    source_fps, target_fps, seconds = 7, 2, 60
    frames = picked(SamplingConfig(mode=SamplingMode.FPS, fps=target_fps), source_fps, seconds)
    assert len(frames) == target_fps * seconds  # 120
    times = [(i - 1) / source_fps for i in frames]
    for k, t in enumerate(times):
        # The k-th pick is the first frame at or after k / 2 s: never early, never a whole
        # source frame late, so the error cannot accumulate.
        assert k / target_fps - 1e-9 <= t < k / target_fps + 1 / source_fps
    per_second = [sum(1 for t in times if s <= t < s + 1) for s in range(seconds)]
    assert set(per_second) == {2}
    assert frames[:8] == [1, 5, 8, 12, 15, 19, 22, 26]


@pytest.mark.parametrize(("source_fps", "target_fps"), [(30, 7), (29.97, 10), (12.5, 2.5)])
def test_fps_count_matches_target_rate(source_fps: float, target_fps: float) -> None:
    seconds = 40
    frames = picked(SamplingConfig(mode=SamplingMode.FPS, fps=target_fps), source_fps, seconds)
    assert abs(len(frames) - target_fps * seconds) <= 1


def test_fps_sampling_higher_than_the_source_keeps_every_frame() -> None:
    assert picked(SamplingConfig(mode=SamplingMode.FPS, fps=50), 25, 2) == list(range(1, 51))


def test_fps_sampling_snaps_to_the_grid_after_a_gap() -> None:
    sampler = Sampler(SamplingConfig(mode=SamplingMode.FPS, fps=2))  # every 0.5 s
    assert sampler.wants(1, 0.0)
    assert not sampler.wants(2, 0.3)
    # A 2.2 s hole in the stream: the next frame is taken, and the grid stays on 0.5 s
    # steps (next due 3.0), not restarted from 2.7.
    assert sampler.wants(3, 2.7)
    assert not sampler.wants(4, 2.9)
    assert sampler.wants(5, 3.0)
    assert not sampler.wants(6, 3.4)
    assert sampler.wants(7, 3.5)


def test_restart_starts_a_new_grid() -> None:
    sampler = Sampler(SamplingConfig(mode=SamplingMode.FPS, fps=1))
    assert sampler.wants(1, 10.0)
    assert not sampler.wants(2, 10.5)
    # A looped file starts again at t = 0: without restart nothing would be due until 11.
    sampler.restart()
    assert sampler.wants(3, 0.0)
    assert not sampler.wants(4, 0.5)
    assert sampler.wants(5, 1.0)


def test_fps_sampling_tolerates_timestamp_rounding() -> None:
    # Timestamps rounded to milliseconds, as from a 90 kHz / 1000 time base.
    sampler = Sampler(SamplingConfig(mode=SamplingMode.FPS, fps=10))
    times = [math.floor(i / 30 * 1000) / 1000 for i in range(300)]
    chosen = [i for i, t in enumerate(times) if sampler.wants(i + 1, t)]
    assert chosen == list(range(0, 300, 3))
