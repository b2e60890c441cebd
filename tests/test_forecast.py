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


# --- the published forecast --------------------------------------------------------------------------------------
def test_forecast_gives_nested_intervals_for_the_next_quarters():
    series = quarterly(200 + np.tile(SEASONAL, 10) + noise(40))
    made = fc.forecast(series, horizon=4)
    assert [q.id for q in made.table.index] == [START.shift(40 + k).id for k in range(4)]
    t = made.table
    assert ((t["lower_95"] <= t["lower_80"]) & (t["lower_80"] <= t["forecast"]) & (t["forecast"] <= t["upper_80"])
            & (t["upper_80"] <= t["upper_95"])).all()
    # the seasonal pattern is carried on: the first quarter of the year is forecast above the fourth
    assert t["forecast"].iloc[0] - t["forecast"].iloc[3] > 30
    assert made.published.calibration[80].errors > 40  # set from the back test's errors


def test_a_spike_in_disturbed_quarters_does_not_move_the_forecast():
    values = 200 + np.tile(SEASONAL, 10) + noise(40)
    spiked = values.copy()
    spiked[28:32] = 5000.0
    quarters = quarterly(values).index[28:32]
    plain = fc.forecast(quarterly(np.where(np.isin(np.arange(40), range(28, 32)), np.nan, values)))
    disturbed = fc.forecast(quarterly(spiked), disturbed=list(quarters))
    np.testing.assert_allclose(disturbed.table.to_numpy(), plain.table.to_numpy(), rtol=1e-6)
    assert disturbed.table["upper_95"].max() < 1000


def test_counts_never_get_a_negative_bound():
    made = fc.forecast(quarterly(np.abs(np.round(30 + noise(40, sd=15)))))
    assert (made.table >= 0).all().all()


def test_a_short_series_has_no_forecast():
    assert fc.forecast(quarterly(np.arange(12.0))) is None


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


RISING = np.round(200 + 10 * np.arange(40) + np.tile(SEASONAL, 10) + noise(40, sd=3))


def test_forecast_results_rows_per_force_and_what_the_page_reads():
    from strategy_update.compute.forecast_models import CANDIDATES, SMOOTHING
    from strategy_update.model.publication import Measure
    from strategy_update.render import forecast_chart as page

    results = pd.concat([series_results(RISING), series_results(np.round(np.abs(50 + noise(40))), force="Kent")])
    rows = fc.forecast_results(results)
    assert set(rows["force"]) == {"Essex", "Kent"}
    essex = rows[rows["force"] == "Essex"]
    forecasts = essex[essex["statistic"] == "forecast"]
    assert list(forecasts["period"]) == [START.shift(40 + k).id for k in range(4)]
    assert (forecasts["base_period"] == START.shift(39).id).all()
    assert essex.loc[essex["statistic"] == "trend_rating", "text"].item() == fc.INCREASING
    one = essex.set_index("statistic")
    assert one.loc["forecast_model", "text"] == SMOOTHING  # a steady rise: the seasonal naive lags a year behind
    assert list(essex.loc[essex["statistic"] == "candidate_mase", "text"]) == list(CANDIDATES)
    points = one.loc["backtest_points", "value"]
    assert one.loc["backtest_coverage_80", "value"] == pytest.approx(one.loc["backtest_inside_80", "value"] / points)
    assert one.loc["forecast_calibration_errors", "value"] > points  # every back-test error, scored or not
    demand = page.demand_figures(rows, "Essex", "s", "burglary")
    assert demand.trend == fc.INCREASING and demand.points == points and demand.chosen == SMOOTHING
    assert demand.mase == one.loc["backtest_mase", "value"] and set(demand.candidates) == set(CANDIDATES)
    data = page.fan_data(results[results["force"] == "Essex"], demand, "crimes", [])
    assert {"lower_80", "upper_80", "lower_95", "upper_95"} <= set(data.columns)
    assert len(data) == 44 and (data["kind"] == "forecast").sum() == 4
    measure = Measure(id="burglary", name="Burglary", source="home_office", unit="crimes")
    alt = page.fan_alt(results[results["force"] == "Essex"], demand, measure, "Essex")
    first = demand.forecast.iloc[0]
    assert f"{round(first['forecast']):,} crimes in {first['label']}" in alt


def demand_of(values, **changes):
    from strategy_update.render import forecast_chart as page

    demand = page.demand_figures(fc.forecast_results(series_results(values)), "Essex", "s", "burglary")
    return page.DemandFigures(**{**demand.__dict__, **changes})


def test_the_forecast_says_its_model_why_and_its_track_record_once():
    """One paragraph: the model and why, what it expects, how such intervals held in the back test, each once (the
    page used to say its back test twice, and that the intervals had been too narrow)."""
    from strategy_update.render import forecast_chart as page

    demand = demand_of(RISING)
    text = page.forecast_sentences(demand, "crimes")
    assert text.count("back test") == 2  # why the model was chosen, and its intervals' record
    assert text.count(f"held {demand.inside_80} of {demand.points} past forecasts at 80%") == 1
    assert f"{demand.inside_95} of {demand.points} at 95%" in text
    assert "The model is exponential smoothing (damped trend, seasonal): the most accurate in the back test (MASE" \
        in text
    assert "too narrow" not in text and "did worse" not in text
    assert text.count("**Forecast:**") == 1 and "disturbed" not in text  # said once for the section's forecasts


def test_a_published_mase_above_one_says_the_seasonal_naive_did_no_better():
    from strategy_update.compute.forecast_models import SEASONAL_NAIVE, SMOOTHING
    from strategy_update.render import forecast_chart as page

    above = demand_of(RISING, chosen=SMOOTHING, mase=1.10,
                      candidates={SEASONAL_NAIVE: 1.30, "seasonal average": 1.4, SMOOTHING: 1.10})
    assert "above 1, its errors were larger than a typical change from one year to the next, but the seasonal " \
           "naive did no better" in page.model_sentence(above)
    naive = demand_of(RISING, chosen=SEASONAL_NAIVE, model=SEASONAL_NAIVE, mase=1.2,
                      candidates={SEASONAL_NAIVE: 1.2, "seasonal average": 1.4, SMOOTHING: 1.25})
    assert page.model_sentence(naive) == (
        "The model is the seasonal naive (each quarter forecast by the same quarter a year earlier): no other model "
        "tried was more than 5% more accurate in the back test (MASE 1.20; the seasonal average 1.40, exponential "
        "smoothing 1.25), so the simplest is used.")
    below = demand_of(RISING, chosen=SMOOTHING, mase=0.8,
                      candidates={SEASONAL_NAIVE: 1.0, "seasonal average": 1.4, SMOOTHING: 0.8})
    assert "above 1" not in page.model_sentence(below)


def test_a_small_count_is_forecast_as_a_range_and_the_page_says_why():
    from strategy_update.model.publication import Measure
    from strategy_update.render import forecast_chart as page

    values = np.random.default_rng(8).poisson(3.0, 40).astype(float)
    results = series_results(values, measure="homicide")
    demand = page.demand_figures(fc.forecast_results(results), "Essex", "s", "homicide")
    assert not demand.point_forecast
    text = page.forecast_sentences(demand, "homicides")
    first = demand.forecast.iloc[0]
    assert (f"With fewer than 10 homicides a quarter, chance moves the figure by about as much as its size, so no "
            f"single number is forecast, only the range: between {first['lower_80']:.0f} and "
            f"{first['upper_80']:.0f} homicides in {first['label']}") in text
    measure = Measure(id="homicide", name="Homicide", source="home_office", unit="homicides")
    figure = page.fan_chart(results, demand, measure, [])
    assert [t.name for t in figure.data if t.name == "Forecast"] == []  # bands, no forecast line
    assert "a range only" in page.fan_alt(results, demand, measure, "Essex")


def test_demand_profile_page_lists_each_measure_with_its_trends_model_and_track_record():
    from pathlib import Path

    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths
    from strategy_update.render.demand_page import render_markdown

    root = Path(__file__).resolve().parents[1]
    publication = load_publication(InputPaths(root / "data", root / "publications", "crime-prevention-2021-25",
                                              "essex"))
    section, measure = next((s, m) for s, m in publication.measures if m.source == "home_office")
    series = series_results(RISING, measure=measure.id).assign(section=section.id)
    rows = fc.forecast_results(series)
    text = render_markdown(publication, pd.concat([series, rows]), "Essex")
    lines = [line for line in text.splitlines() if line.startswith(f"| **{measure.name}**")]
    assert "| increasing |" in lines[0] and f"against {round(RISING[-4:].sum()):,}" in lines[0]
    one = rows.set_index("statistic")["value"]
    points, inside = int(one["backtest_points"]), int(one["backtest_inside_80"])
    assert f"| exponential smoothing | {points} | {inside} (" in lines[1]
    assert "## Track record" in text and "Covid" in text
    assert f"The back test chose exponential smoothing for 1 measure. Together, their intervals held {inside} of " \
           f"{points} past forecasts at 80%" in text
