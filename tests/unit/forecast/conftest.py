"""The generated series as a CSV file."""

from __future__ import annotations

from pathlib import Path

import pytest
from forecast_series import seasonal_frame


@pytest.fixture
def seasonal_csv(tmp_path: Path) -> Path:
    path = tmp_path / "series.csv"
    seasonal_frame().to_csv(path, index=False)
    return path
