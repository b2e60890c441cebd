"""Demand profiles (compute/forecast.py): the trend rule, the forecast and its back test, on series whose answer is
known by hand."""

import numpy as np
import pandas as pd
import pytest

from strategy_update.compute import forecast as fc
from strategy_update.core.periods import Quarter, parse_quarter

START = parse_quarter("2015-16-Q1")
SEASONAL = np.array([30.0, -10.0, 5.0, -25.0])  # a strong quarter-of-year pattern


def quarterly(values, start: Quarter = START) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=[start.shift(k).id for k in range(len(values))])


def noise(n: int, sd: float = 5.0, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sd, n)


# --- the series --------------------------------------------------------------------------------------------------
def regular_by_pandas(series: pd.Series, disturbed=()) -> pd.Series:
    """``regular`` as it was first written, with pandas: what the plain-Python one must give, to the bit."""
    quarters = [parse_quarter(str(q)) for q in series.index]
    values = pd.Series(pd.to_numeric(series.to_numpy(), errors="coerce"), index=[q.index for q in quarters],
                       dtype=float).groupby(level=0).last()
    values[values.index.isin({parse_quarter(str(q)).index for q in disturbed})] = np.nan
    known = values.dropna()
    if known.empty:
        return pd.Series([], dtype=float)
    full = values.reindex(range(int(known.index.min()), int(values.index.max()) + 1))
    full.index = [Quarter.from_index(i) for i in full.index]
    return full


@pytest.mark.parametrize("seed", range(40))
def test_the_regular_series_is_the_one_pandas_makes(seed):
    """Out of order, repeated quarters (the last figure that is a number wins), gaps, blanks, text, disturbed
    quarters anywhere, Quarter or id labels."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 14))
    at = [START.shift(int(k)) for k in rng.integers(0, 12, n)]
    values = [rng.choice([np.nan, "n/a", "", round(float(rng.normal(100, 30)), 3), int(rng.integers(-5, 50))])
              for _ in range(n)]
    series = pd.Series(values, index=[q if rng.random() < 0.5 else q.id for q in at], dtype=object)
    disturbed = [START.shift(int(k)).id for k in rng.integers(0, 12, int(rng.integers(0, 4)))]
    got, expected = fc.regular(series, disturbed), regular_by_pandas(series, disturbed)
    pd.testing.assert_series_equal(got, expected, check_exact=True, check_index_type=True)
    assert list(got.index) == list(expected.index)


# --- trend -------------------------------------------------------------------------------------------------------
def test_a_clearly_rising_series_is_increasing():
    # +10 a quarter on a mean of about 255 over the window: 40 a year, about 16% of the mean
    trend = fc.trend_rating(quarterly(200 + 10 * np.arange(12) + noise(12, sd=2)))
    assert trend.rating == fc.INCREASING
    assert trend.lower_pct > 0
    assert trend.slope_pct_per_year == pytest.approx(40 / np.mean(200 + 10 * np.arange(12)) * 100, rel=0.1)


def test_a_clearly_falling_series_is_decreasing():
    assert fc.trend_rating(quarterly(500 - 12 * np.arange(12) + noise(12, sd=2))).rating == fc.DECREASING


def test_flat_noise_is_stable():
    trend = fc.trend_rating(quarterly(100 + noise(12)))
    assert trend.rating == fc.STABLE
    assert trend.lower_pct < 0 < trend.upper_pct


def test_a_seasonal_flat_series_is_stable_not_increasing():
    # Each year rises through the quarters 1-3; a line without quarter dummies would call the last 12 "increasing"
    # when the window starts in a low quarter and ends in a high one.
    values = np.tile([60.0, 80.0, 100.0, 120.0], 3) + noise(12, sd=1)
    assert fc.trend_rating(quarterly(values)).rating == fc.STABLE
    exact = fc.trend_rating(quarterly(np.tile([60.0, 80.0, 100.0, 120.0], 3) + noise(12, sd=1e-6)))
    assert abs(exact.slope_pct_per_year) < 1e-3


def test_the_trend_uses_the_latest_12_quarters_and_leaves_out_disturbed_ones():
    values = 100 + 10 * np.arange(20) + noise(20, sd=2)
    values[14] = -5000  # a spike in a disturbed quarter
    series = quarterly(values)
    trend = fc.trend_rating(series, disturbed=[series.index[14]])
    assert trend.rating == fc.INCREASING
    assert trend.points == 12 and trend.last == parse_quarter(series.index[-1])
    assert trend.first == parse_quarter(series.index[7])  # 12 undisturbed quarters back, skipping the spike


def test_too_few_quarters_give_no_rating():
    assert fc.trend_rating(quarterly(np.arange(7.0))).rating == ""


# --- forecast ----------------------------------------------------------------------------------------------------
def test_forecast_gives_nested_intervals_for_the_next_quarters():
    series = quarterly(200 + np.tile(SEASONAL, 5) + noise(20))
    made = fc.forecast(series, horizon=4)
    assert made.model == fc.DAMPED_SEASONAL
    assert [q.id for q in made.table.index] == [START.shift(20 + k).id for k in range(4)]
    t = made.table
    assert ((t["lower_95"] <= t["lower_80"]) & (t["lower_80"] <= t["forecast"]) & (t["forecast"] <= t["upper_80"])
            & (t["upper_80"] <= t["upper_95"])).all()
    # the seasonal pattern is carried on: the first quarter of the year is forecast above the fourth
    assert t["forecast"].iloc[0] - t["forecast"].iloc[3] > 30


def test_a_spike_in_disturbed_quarters_does_not_move_the_forecast():
    values = 200 + np.tile(SEASONAL, 5) + noise(20)
    spiked = values.copy()
    spiked[12:16] = 5000.0
    quarters = quarterly(values).index[12:16]
    plain = fc.forecast(quarterly(np.where(np.isin(np.arange(20), range(12, 16)), np.nan, values)))
    disturbed = fc.forecast(quarterly(spiked), disturbed=list(quarters))
    np.testing.assert_allclose(disturbed.table.to_numpy(), plain.table.to_numpy(), rtol=1e-6)
    assert disturbed.table["upper_95"].max() < 1000


def test_counts_never_get_a_negative_bound():
    made = fc.forecast(quarterly(np.abs(3 + noise(16, sd=3))))
    assert (made.table >= 0).all().all()


def test_a_short_series_has_no_forecast():
    assert fc.forecast(quarterly([1.0, 2, 3, 4, 5])) is None


# --- back test ---------------------------------------------------------------------------------------------------
Z80, Z95 = 1.2815515655446004, 1.959963984540054


def known_noise(train: pd.Series, horizon: int) -> pd.DataFrame:
    """A forecaster that knows the truth: Gaussian noise with mean 100 and sd 10."""
    future = [train.index[-1].shift(k) for k in range(1, horizon + 1)]
    return pd.DataFrame({"forecast": 100.0, "lower_80": 100 - 10 * Z80, "upper_80": 100 + 10 * Z80,
                         "lower_95": 100 - 10 * Z95, "upper_95": 100 + 10 * Z95}, index=future)


def test_coverage_is_the_share_of_actuals_inside_the_intervals():
    values = 100 + noise(400, sd=10, seed=7)
    result = fc.backtest(quarterly(values), horizon=4, min_train=12, forecaster=known_noise)
    # every quarter from the 13th is forecast from 4 origins (fewer at the end): count by hand
    weights = np.array([sum(1 for o in range(12, 400) if o <= j < o + 4) for j in range(400)], dtype=float)
    inside80 = np.abs(values - 100) <= 10 * Z80
    inside95 = np.abs(values - 100) <= 10 * Z95
    assert result.points == weights.sum()
    assert result.coverage_80 == pytest.approx((weights * inside80).sum() / weights.sum())
    assert result.coverage_95 == pytest.approx((weights * inside95).sum() / weights.sum())
    # and, the intervals being the true ones, close to 80% and 95% (fixed seed: no flaking)
    assert result.coverage_80 == pytest.approx(0.80, abs=0.05)
    assert result.coverage_95 == pytest.approx(0.95, abs=0.03)


def test_the_model_intervals_are_roughly_calibrated_on_noise():
    result = fc.backtest(quarterly(100 + noise(40, sd=10, seed=3)), horizon=4, min_train=16)
    assert result.origins == 24 and result.points == 24 * 4 - 6  # the last 3 origins run out of actuals
    assert 0.6 <= result.coverage_80 <= 1.0
    assert 0.8 <= result.coverage_95 <= 1.0


def test_mase_of_seasonal_naive_on_a_straight_line_is_one():
    # y = 7t: seasonal-naive is 28 out both in the training data and in every forecast up to 4 quarters ahead
    result = fc.backtest(quarterly(7.0 * np.arange(24)), horizon=4, min_train=12, forecaster=fc.seasonal_naive)
    assert result.mase == pytest.approx(1.0)
    assert np.isnan(result.coverage_80)  # no intervals, no coverage


def test_mase_is_undefined_when_seasonal_naive_is_exact():
    # a perfectly seasonal series: seasonal-naive makes no error in sample, so there is nothing to scale by
    result = fc.backtest(quarterly(np.tile(SEASONAL, 6)), forecaster=fc.seasonal_naive)
    assert np.isnan(result.mase) and result.points > 0
    assert fc.seasonal_naive_scale(np.tile(SEASONAL, 6)) == 0


def test_disturbed_quarters_are_not_scored():
    values = 7.0 * np.arange(24)
    values[16:20] = 10_000.0  # a forecast error of thousands, if it were scored
    series = quarterly(values)
    result = fc.backtest(series, forecaster=fc.seasonal_naive, disturbed=list(series.index[16:20]))
    # forecasts from (or of) the disturbed year have nothing to compare; the rest are 28 out, as in sample
    assert result.mase == pytest.approx(1.0)


# --- the definition ----------------------------------------------------------------------------------------------
def test_disturbed_periods_are_read_from_the_definition():
    import copy
    from pathlib import Path

    import yaml

    from strategy_update.core.errors import InputError
    from strategy_update.model.publication import disturbed_quarters, publication_from_mapping

    folder = Path(__file__).resolve().parents[1] / "publications" / "crime-prevention-2021-25"
    raw = yaml.safe_load((folder / "publication.yml").read_text(encoding="utf-8"))
    publication = publication_from_mapping(raw, folder, "publication.yml")
    assert disturbed_quarters(publication) == ["2020-21-Q1", "2020-21-Q2", "2020-21-Q3", "2020-21-Q4"]
    assert "Covid" in publication.disturbed_periods[0][2]
    assert disturbed_quarters(publication_from_mapping({**raw, "disturbed_periods": None}, folder, "x")) == []
    unexplained = copy.deepcopy(raw)
    unexplained["disturbed_periods"] = [{"from": "2020-21-Q1", "to": "2020-21-Q2"}]
    with pytest.raises(InputError, match="disturbed"):
        publication_from_mapping(unexplained, folder, "publication.yml")


# --- results rows and what the page reads from them ---------------------------------------------------------------
def series_results(values, measure: str = "burglary", force: str = "Essex") -> pd.DataFrame:
    from strategy_update.compute.comparisons import quarter_span

    quarters = [START.shift(k) for k in range(len(values))]
    return pd.DataFrame({"publication": "p", "force": force, "section": "s", "measure": measure, "area": "",
                         "statistic": "series", "comparison": "", "period": [q.id for q in quarters],
                         "period_label": [quarter_span(q).label for q in quarters], "base_period": "",
                         "base_period_label": "", "value": np.asarray(values, dtype=float), "text": "",
                         "source_file": "data.csv", "lines": [[k + 2] for k in range(len(values))]})


def test_forecast_results_rows_per_force_and_what_the_page_reads():
    from strategy_update.model.publication import Measure
    from strategy_update.render import forecast_chart as page

    rising = 200 + 10 * np.arange(20) + np.tile(SEASONAL, 5) + noise(20, sd=3)
    results = pd.concat([series_results(rising), series_results(np.abs(50 + noise(20)), force="Kent")])
    rows = fc.forecast_results(results)
    assert set(rows["force"]) == {"Essex", "Kent"}
    essex = rows[rows["force"] == "Essex"]
    forecasts = essex[essex["statistic"] == "forecast"]
    assert list(forecasts["period"]) == [START.shift(20 + k).id for k in range(4)]
    assert (forecasts["base_period"] == START.shift(19).id).all()
    assert essex.loc[essex["statistic"] == "trend_rating", "text"].item() == fc.INCREASING
    demand = page.demand_figures(rows, "Essex", "s", "burglary")
    assert demand.trend == fc.INCREASING and demand.points > 0
    data = page.fan_data(results[results["force"] == "Essex"], demand, "crimes", [])
    assert {"lower_80", "upper_80", "lower_95", "upper_95"} <= set(data.columns)
    assert len(data) == 24 and (data["kind"] == "forecast").sum() == 4
    measure = Measure(id="burglary", name="Burglary", source="home_office", unit="crimes")
    alt = page.fan_alt(results[results["force"] == "Essex"], demand, measure, "Essex")
    first = demand.forecast.iloc[0]
    assert f"{round(first['forecast']):,} crimes in {first['label']}" in alt


def test_a_forecast_worse_than_seasonal_naive_says_so():
    from strategy_update.render import forecast_chart as page

    rows = fc.forecast_results(series_results(200 + np.tile(SEASONAL, 5) + noise(20)))
    demand = page.demand_figures(rows, "Essex", "s", "burglary")
    worse = page.DemandFigures(**{**demand.__dict__, "mase": 1.3})
    assert "did worse than the simplest alternative" in page.forecast_sentences(worse, "crimes", [])
    better = page.DemandFigures(**{**demand.__dict__, "mase": 0.7, "coverage_80": 0.75})
    assert "did worse" not in page.forecast_sentences(better, "crimes", [])
    assert "too narrow" not in page.forecast_sentences(better, "crimes", [])
    narrow = page.DemandFigures(**{**demand.__dict__, "coverage_80": 0.5, "coverage_95": 0.625})
    assert "too narrow.** In the back test only 50% of actual values fell inside the 80% interval (and 63%" in \
        page.forecast_sentences(narrow, "crimes", [])


def test_a_failed_fit_falls_back_to_the_level_only_model(monkeypatch):
    real = fc._fit

    def failing(values, model, params=None):
        if model != fc.LEVEL:
            raise np.linalg.LinAlgError("singular matrix")
        return real(values, model, params)
    monkeypatch.setattr(fc, "_fit", failing)
    made = fc.forecast(quarterly(100 + noise(16)))
    assert made.model.startswith(fc.LEVEL + " (fallback: damped trend, seasonal failed")
    assert np.isfinite(made.table.to_numpy()).all()


def test_demand_profile_page_lists_each_measure_with_its_trends_and_track_record():
    from pathlib import Path

    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths
    from strategy_update.render.demand_page import render_markdown

    root = Path(__file__).resolve().parents[1]
    publication = load_publication(InputPaths(root / "data", root / "publications", "crime-prevention-2021-25",
                                              "essex"))
    section, measure = next((s, m) for s, m in publication.measures if m.source == "home_office")
    values = 200 + 10 * np.arange(20) + np.tile(SEASONAL, 5) + noise(20, sd=3)
    series = series_results(values, measure=measure.id).assign(section=section.id)
    text = render_markdown(publication, pd.concat([series, fc.forecast_results(series)]), "Essex")
    row = next(line for line in text.splitlines() if line.startswith(f"| **{measure.name}**"))
    assert "| increasing |" in row
    assert f"against {round(values[-4:].sum()):,}" in row
    assert "## Track record" in text and "Covid" in text


def test_the_back_test_estimates_from_past_data_once_a_year_of_origins(monkeypatch):
    real, fitted = fc._fit, []

    def counting(values, model, params=None):
        if params is None:
            fitted.append(len(values))  # a fit: on the training data only
        return real(values, model, params)
    monkeypatch.setattr(fc, "_fit", counting)
    result = fc.backtest(quarterly(100 + noise(24, sd=10, seed=5)), horizon=4, min_train=12, refit=4)
    assert result.origins == 12
    assert fitted == [12, 16, 20]  # origins 12 to 23: fitted afresh at 12, 16 and 20 on the quarters before each
