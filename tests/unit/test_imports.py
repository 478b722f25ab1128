"""Modules that refer to each other import on their own, in a fresh interpreter (no cycles)."""

import subprocess
import sys

import pytest

# A cycle shows only when one of its modules is imported first, so each gets a fresh
# interpreter. These are the entry points of the parts that refer to each other
# (configuration, alerts, reports, the twin, the store and the API); reports.factory and
# twin.names once formed a cycle through the config package.
FIRST_IMPORTS = [
    "cctwin.config",
    "cctwin.alerts.engine",
    "cctwin.reports",
    "cctwin.reports.factory",
    "cctwin.twin.names",
    "cctwin.twin.site",
    "cctwin.store.sql",
    "cctwin.api.main",
]


@pytest.mark.parametrize("module", FIRST_IMPORTS)
def test_module_imports_first(module: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
