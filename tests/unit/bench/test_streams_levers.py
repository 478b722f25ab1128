from cctwin.bench.streams import Levers, _summarise, bench_config, camera_sampling
from cctwin.config import SamplingMode


def test_levers_reach_the_camera_and_detector_config() -> None:
    assert camera_sampling("keyframes", 1.0, motion=True).motion.enabled
    assert not camera_sampling("keyframes", 1.0, motion=False).motion.enabled
    sub = camera_sampling("substream", 2.0, motion=True)
    assert sub.mode is SamplingMode.FPS
    assert sub.stream == "sub"
    assert sub.motion.enabled
    assert bench_config(8, 1, precision="int8").detector.bundled_precision == "int8"
    assert bench_config(8, 1).detector.bundled_precision == "float32"
    assert Levers() == Levers(motion=True, skip_loop_filter=False, precision="float32")


def test_a_trial_reports_the_share_of_frames_the_gate_skipped() -> None:
    report = {
        "cameras": ["cam1", "cam2"],
        "window_s": 10.0,
        "cpu_s": 0.5,
        "analysed": {"cam1": 10, "cam2": 10},
        "latencies_s": [0.2] * 20,
        "dropped": 0,
        "reconnects": 0,
    }
    result = _summarise(
        4, [{**report, "detect_skipped": 0.5}, {**report, "detect_skipped": 0.0}], 1.0, False
    )
    assert result.detect_skipped == 0.25
    assert result.sustained
    assert result.cpu_per_stream == 0.025


def trial(window_s: float, frames: int, decode_only: bool = False) -> bool:
    report = {
        "cameras": ["cam1"],
        "window_s": window_s,
        "cpu_s": 0.1,
        "analysed": {"cam1": frames},
        "latencies_s": [0.2] * max(frames, 1),
        "dropped": 0,
        "reconnects": 0,
        "detect_skipped": 0.0,
    }
    return _summarise(1, [report], 1.0, decode_only).sustained


def test_one_frame_fewer_than_the_window_holds_passes_two_fewer_fail() -> None:
    assert trial(20.01, 19)
    assert not trial(20.01, 18)
    assert trial(20.12, 19)
    assert not trial(0.0, 0, decode_only=True)  # no window: the cameras never all started
    assert trial(15.02, 14)
    assert not trial(15.02, 13)
    # Long windows keep the 5 % rule.
    assert trial(60.0, 57)
    assert not trial(60.0, 56)
