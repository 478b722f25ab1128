"""The dashboard's state module (web/state.js) under Node's test runner, when Node is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).with_name("state.test.mjs")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_state_module() -> None:
    result = subprocess.run(
        ["node", "--test", str(TESTS)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
