"""The backtest on real hourly pedestrian counts (Melbourne, 2012-2015) at horizon 24."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctwin.forecast.backtest import BacktestConfig, run_backtest
from cctwin.forecast.series import SeriesColumns, read_series

DATA = Path("/work/shared/data/pedestrian-counts-melbourne/hourly_counts.csv")


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 3 minutes alone, longer on a busy machine
@pytest.mark.skipif(not DATA.is_file(), reason=f"{DATA} is absent (shared data set)")
def test_the_model_beats_the_weekly_seasonal_naive_by_a_fifth_at_horizon_24() -> None:
    data = read_series(DATA, SeriesColumns(time="ts", id="sensor_id", value="count"))
    result, _ = run_backtest(data, BacktestConfig(horizon=24))
    assert result.n_series >= 15
    # Measured 0.736, every sensor <= 0.797 (docs/benchmarks.md); the target is 0.8.
    assert result.ratio <= 0.8
    assert result.ratio_quartiles[2] <= 0.8  # not only on average: three sensors in four
