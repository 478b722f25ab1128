"""The dashboard's pure modules (state, objects) under Node's test runner, when Node is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    "name",
    [
        "state.test.mjs",
        "objects.test.mjs",
        "flood.test.mjs",
        "camerahealth.test.mjs",
        "scenarios.test.mjs",
    ],
)
def test_module(name: str) -> None:
    result = subprocess.run(
        ["node", "--test", str(HERE / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
