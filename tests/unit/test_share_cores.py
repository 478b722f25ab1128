"""Analysis processes share the cores: detector threads split, and no spinning pool threads."""

from __future__ import annotations

import os

from cctwin.config import Config
from cctwin.detect.nanodet import bundled_model
from cctwin.detect.onnx import load_session
from cctwin.workers import share_cores


def test_runtime_default_threads_are_split_among_the_workers() -> None:
    config = Config()
    assert config.detector.threads == 0
    cores = len(os.sched_getaffinity(0))
    assert share_cores(config, 1).detector.threads == cores
    assert share_cores(config, cores).detector.threads == 1
    assert share_cores(config, 4 * cores).detector.threads == 1  # never zero
    assert config.detector.threads == 0  # the caller's config is not changed


def test_explicit_threads_are_kept() -> None:
    config = Config.model_validate({"detector": {"type": "nanodet", "threads": 3}})
    assert share_cores(config, 8).detector.threads == 3


def test_sessions_do_not_spin_idle_threads() -> None:
    session = load_session(bundled_model("int8"), 2, "cpu")
    entry = session.get_session_options().get_session_config_entry(
        "session.intra_op.allow_spinning"
    )
    assert entry == "0"
