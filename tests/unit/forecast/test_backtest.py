"""The backtest: rolling origins fitted only on the past, gaps reported, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_series import seasonal_frame
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.forecast.backtest import BacktestConfig, fit_times, plan, run_backtest
from cctwin.forecast.models import GlobalLagModel, HolidayCalendar, SeasonalNaive
from cctwin.forecast.series import SeriesColumns, SeriesError, fill_gaps, read_series

COLUMNS = SeriesColumns(time="ts", id="sensor_id", value="count")
SMALL = {"origins": 7, "trees": 60, "holidays": ""}


def test_the_model_beats_the_seasonal_naive_on_a_known_pattern_with_a_level_shift(
    seasonal_csv: Path,
) -> None:
    data = read_series(seasonal_csv, COLUMNS)
    result, _ = run_backtest(data, BacktestConfig(horizon=24, **SMALL))
    assert result.n_series == 6
    assert result.n_forecasts == 6 * 7 * 24
    assert result.baseline_mase > 0
    # Level-normalised lags follow the halving; a week-old value cannot.
    assert result.mase < 0.85 * result.baseline_mase
    assert set(result.model_dump()) >= {
        "mase",
        "baseline_mase",
        "mae",
        "n_series",
        "n_forecasts",
        "horizon",
    }


def test_training_rows_all_lie_before_the_cutoff(seasonal_csv: Path) -> None:
    data = read_series(seasonal_csv, COLUMNS)
    model = GlobalLagModel(24, 24, HolidayCalendar(""))
    cutoff = pd.Timestamp("2024-02-10")
    x, y = model.training_set(data.series, cutoff)
    assert len(y) > 0
    # Poison every value from the cutoff on: the training set must not change.
    poisoned = [
        type(s)(s.id, s.start, s.step, np.where(np.arange(len(s.observed)) >= s.position(cutoff), 1e9, s.observed),
                np.where(np.arange(len(s.values)) >= s.position(cutoff), 1e9, s.values))
        for s in data.series
    ]  # fmt: skip
    x2, y2 = model.training_set(poisoned, cutoff)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_refits_are_weekly_and_origins_are_midnights(seasonal_csv: Path) -> None:
    data = read_series(seasonal_csv, COLUMNS)
    config = BacktestConfig(horizon=24, origins=14, holidays="")
    plans, skipped = plan(data, config, 4 * 168)
    assert not skipped
    fits = fit_times(plans, pd.Timedelta(days=7))
    assert [f.hour for f in fits] == [0, 0]
    assert fits[1] - fits[0] == pd.Timedelta(days=7)
    s = plans[0].series
    assert all(s.index[int(p)].hour == 0 for p in plans[0].positions)


def test_seasonal_naive_repeats_last_week() -> None:
    frame = seasonal_frame(series=1, weeks=2)
    y = frame["count"].to_numpy()
    from cctwin.forecast.series import Series

    s = Series("a", pd.Timestamp("2024-01-01"), pd.Timedelta(hours=1), y, y)
    out = SeasonalNaive(168).predict(s, np.array([168]), 200)
    np.testing.assert_array_equal(out[0, :168], y[:168])
    np.testing.assert_array_equal(out[0, 168:], y[:32])


def test_gaps_are_filled_and_reported(tmp_path: Path) -> None:
    frame = seasonal_frame()
    drop = frame[(frame.sensor_id == 1)].index[[100, 101, 500, 501, 502, 503, 504, 505]]
    path = tmp_path / "gappy.csv"
    frame.drop(drop).to_csv(path, index=False)
    data = read_series(path, COLUMNS)
    (gap,) = [g for g in data.gaps if g.missing]
    assert (gap.series_id, gap.missing, gap.longest) == ("1", 8, 6)
    result, _ = run_backtest(data, BacktestConfig(horizon=24, **SMALL))
    assert result.gaps_missing == {"1": 8}
    assert np.isfinite(result.mase)


def test_fill_gaps_bridges_short_gaps_linearly_and_long_ones_by_season() -> None:
    y = np.arange(400, dtype=float)
    y[200:202] = np.nan
    y[300:310] = np.nan
    filled, longest = fill_gaps(y, 168)
    assert longest == 10
    np.testing.assert_allclose(filled[200:202], [200, 201])
    np.testing.assert_allclose(filled[300:310], np.arange(300, 310) - 168)


def test_columns_are_detected_by_name(seasonal_csv: Path) -> None:
    data = read_series(seasonal_csv, SeriesColumns())
    assert len(data.series) == 6
    assert data.step == pd.Timedelta(hours=1)


@pytest.mark.parametrize(
    ("content", "flags", "message"),
    [
        ("ts,sensor_id,count\n2024-01-01T00:00,1,3\n", ["--value-column", "people"], "no value"),
        ("ts,sensor_id,count\nnot-a-time,1,3\n2024-01-01T01:00,1,4\n", [], "not a time"),
        (
            "ts,sensor_id,count\n" + "".join(f"2024-01-01T{h:02d}:00,1,{h}\n" for h in range(24)),
            [],
            "too short",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, content: str, flags: list[str], message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = CliRunner().invoke(
        app, ["forecast", "backtest", "--series", str(path), "--horizon", "24", *flags]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_file_is_refused() -> None:
    with pytest.raises(SeriesError, match="no such file"):
        read_series(Path("/nonexistent.csv"), COLUMNS)


def test_cli_json_has_the_documented_keys(seasonal_csv: Path) -> None:
    args = [
        "forecast",
        "backtest",
        "--series",
        str(seasonal_csv),
        "--horizon",
        "12",
        "--origins",
        "3",
        "--holidays",
        "",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["horizon"] == 12
    assert body["n_series"] == 6
    assert body["n_forecasts"] == 6 * 3 * 12
    assert body["mase"] > 0
    assert body["baseline_mase"] > 0
    assert body["mae"] > 0


def test_an_unknown_holiday_calendar_is_one_line_and_exit_2(seasonal_csv: Path) -> None:
    args = ["forecast", "backtest", "--series", str(seasonal_csv), "--horizon", "6"]
    result = CliRunner().invoke(app, [*args, "--origins", "1", "--holidays", "XX"])
    assert result.exit_code == 2
    assert "unknown holiday calendar 'XX'" in result.output
