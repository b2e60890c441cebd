"""The forecasts' back test (compute/forecast_backtest.py) and candidate models (compute/forecast_models.py), on cases
whose answer is known by hand: calibrated intervals, the nested back test's "no peeking", the model choice."""

import math

import numpy as np
import pytest
from scipy import stats

from strategy_update.compute import forecast_backtest as bt
from strategy_update.compute import forecast_models as fm
from strategy_update.compute.forecast_models import SEASONAL_AVERAGE, SEASONAL_NAIVE, SMOOTHING, Prediction

PATTERN = np.array([30.0, -10.0, 5.0, -25.0])  # a strong quarter-of-year pattern
Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)


def seasons(n: int, horizon: int = 4) -> np.ndarray:
    return np.arange(n + horizon) % 4


def truth_knower(sd: float):
    """A forecaster that knows the true mean (200 plus the pattern) but states a wrong standard error, ``sd``."""
    def predict(values, quarters, horizon):
        ahead = quarters[len(values):len(values) + horizon]
        return Prediction(200 + PATTERN[ahead], np.full(horizon, sd), "truth")
    return predict


# --- calibration by hand -------------------------------------------------------------------------------------------
def test_the_conformal_quantile_is_the_rank_ceil_n_plus_1_times_the_level():
    errors = np.array([9.0, 1, 8, 2, 7, 3, 6, 4, 5])  # n = 9, in no order; signs do not matter
    c80 = bt.calibrate(-errors, 80)
    assert (c80.factor, c80.method, c80.errors) == (8.0, "conformal", 9)  # rank ceil(10 x 0.8) = 8: the 8th smallest
    # 95%: rank ceil(10 x 0.95) = 10 > 9 errors, so Student t with 9 degrees of freedom times their root mean square
    c95 = bt.calibrate(errors, 95)
    assert c95.method == "Student t"
    assert c95.factor == pytest.approx(2.2621571627 * math.sqrt(285 / 9))
    assert bt.calibrate(np.arange(1.0, 20.0), 95).factor == 19.0  # 19 errors: rank 19, conformal again
    assert bt.calibrate(np.ones(3), 80) is None  # fewer than MIN_ERRORS: no interval


def test_count_bounds_are_whole_numbers_widened_outwards_and_never_below_zero():
    lower, upper = bt.bounds(np.array([3.2, 10.0]), np.array([2.0, 1.0]), 1.5, counts=True, floor=True)
    assert lower.tolist() == [0.0, 8.0] and upper.tolist() == [7.0, 12.0]  # 3.2 - 3 = 0.2 -> 0; 6.2 -> 7; 8.5 -> 8
    lower, upper = bt.bounds(np.array([3.2]), np.array([2.0]), 1.5, counts=False, floor=False)
    assert lower.tolist() == pytest.approx([0.2]) and upper.tolist() == pytest.approx([6.2])


def test_intervals_are_calibrated_to_the_true_interval_whatever_the_model_says():
    """I.i.d. normal noise (sd 10) around a known seasonal pattern, forecast by its true mean with a standard error
    of 1 (ten times too small): the calibration finds the true interval, +/- 1.28 x 10 (80%) and 1.96 x 10 (95%),
    and the nested back test's intervals cover 80% and 95% of the actual values."""
    n = 400
    values = 200 + PATTERN[seasons(n, 0)] + np.random.default_rng(7).normal(0, 10, n)
    forecasts = bt.backtest_forecasts(values, seasons(n), {"truth": truth_knower(1.0)}, origins=n)["truth"]
    scaled = np.abs(np.array(forecasts.actual) - np.array(forecasts.point)) / np.array(forecasts.sd)
    assert bt.calibrate(scaled, 80).factor == pytest.approx(10 * Z80, rel=0.06)
    assert bt.calibrate(scaled, 95).factor == pytest.approx(10 * Z95, rel=0.06)
    scored = bt.nested_scores(forecasts, counts=False, floor=False)
    assert scored.scored.mean() > 0.98  # all but the first origin, which has no known errors yet
    assert scored.inside[80][scored.scored].mean() == pytest.approx(0.80, abs=0.03)
    assert scored.inside[95][scored.scored].mean() == pytest.approx(0.95, abs=0.02)


def test_an_error_from_a_later_origin_never_calibrates_an_earlier_one():
    """Change any one actual value (to something huge): no forecast made at an origin on or before that quarter is
    scored differently, except those of that quarter itself; so only errors known at an origin calibrate it."""
    n = 40
    values = 200 + PATTERN[seasons(n, 0)] + np.random.default_rng(3).normal(0, 10, n)
    base = bt.backtest_forecasts(values, seasons(n), {"truth": truth_knower(10.0)}, origins=n)["truth"]
    before = bt.nested_scores(base, counts=False, floor=False)
    origin, target = np.array(base.origin), np.array(base.target)
    checked = 0
    for quarter in range(12, n):
        changed = bt.Forecasts(**{k: list(v) for k, v in base.__dict__.items()})
        changed.actual = [a + 1e6 if t == quarter else a for a, t in zip(base.actual, base.target)]
        after = bt.nested_scores(changed, counts=False, floor=False)
        earlier = (origin <= quarter) & (target != quarter)
        assert np.array_equal(after.scored[earlier], before.scored[earlier])
        for level in bt.LEVELS:
            assert np.array_equal(after.inside[level][earlier], before.inside[level][earlier])
        later = origin > quarter
        if later.any():  # and a later origin does see it: its intervals widen to take it in
            checked += not np.array_equal(after.inside[80][later], before.inside[80][later])
    assert checked > 0


def test_a_forecast_of_a_quarter_not_yet_seen_does_not_calibrate_even_from_an_earlier_origin(monkeypatch):
    """At an origin, an earlier origin's forecast of a quarter at or after it is not known yet: its error is left
    out (stricter than 'earlier origins')."""
    seen = []
    real = bt.calibrate
    monkeypatch.setattr(bt, "calibrate", lambda errors, level: seen.append(len(errors)) or real(errors, level))
    forecasts = bt.Forecasts(origin=[10, 10, 11, 11, 12], target=[10, 11, 11, 12, 12], point=[0.0] * 5, sd=[1.0] * 5,
                             actual=[1.0] * 5, scale=[1.0] * 5)
    bt.nested_scores(forecasts, counts=False, floor=False)
    # origin 10 knows nothing; 11 knows target 10 (one error); 12 knows targets 10, 11, 11 (three)
    assert seen == [0, 0, 1, 1, 3, 3]


# --- the candidates ------------------------------------------------------------------------------------------------
def test_seasonal_naive_takes_the_latest_same_quarter_with_a_figure():
    values = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan, np.nan, np.nan])  # the last year disturbed
    made = fm.seasonal_naive(values, seasons(12), 4)
    assert made.point.tolist() == [5.0, 6.0, 7.0, 8.0]  # two years back: the year between had no figures
    assert made.sd.tolist() == [4.0] * 4  # every year-on-year change is 4


def test_seasonal_average_is_the_poisson_regression_with_quarter_effects():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    values = rng.poisson(np.tile([3.0, 6.0, 2.0, 9.0], 5)).astype(float)
    made = fm.seasonal_average(values, seasons(20), 4)
    window, quarter = values[-12:], seasons(20)[8:20]
    design = np.column_stack([(quarter == q).astype(float) for q in range(4)])
    fit = sm.GLM(window, design, family=sm.families.Poisson()).fit()
    assert made.point == pytest.approx(fit.predict(np.eye(4)), rel=1e-8)  # quarters 0-3 come next
    dispersion = max(1.0, fit.pearson_chi2 / fit.df_resid)
    assert made.sd == pytest.approx(np.sqrt(dispersion * made.point), rel=1e-8)


def test_exponential_smoothing_in_the_back_test_is_estimated_on_past_figures_once_a_year(monkeypatch):
    estimated = []
    real = fm._estimate
    monkeypatch.setattr(fm, "_estimate", lambda values, model, start=None: estimated.append(len(values))
                        or real(values, model, start))
    values = 100 + np.random.default_rng(5).normal(0, 10, 24)
    bt.backtest_forecasts(values, seasons(24), {SMOOTHING: fm.Smoothing()}, origins=24)
    assert estimated == [12, 16, 20]  # origins 12 to 23: estimated at 12, 16 and 20 from the quarters before each


def test_a_failed_fit_falls_back_to_the_level_only_model(monkeypatch):
    real = fm._estimate

    def failing(values, model, start=None):
        if model != fm.LEVEL:
            raise np.linalg.LinAlgError("singular matrix")
        return real(values, model, start)
    monkeypatch.setattr(fm, "_estimate", failing)
    point, sd, fit = fm.smoothing(100 + np.random.default_rng(1).normal(0, 5, 16), 4)
    assert fit.model.startswith(fm.LEVEL + " (fallback: damped trend, seasonal failed")
    assert np.isfinite(point).all() and np.isfinite(sd).all()


# --- the model the back test supports ------------------------------------------------------------------------------
def record(mase: float) -> bt.Record:
    return bt.Record(10, {80: 8, 95: 10}, mase)


@pytest.mark.parametrize("mases,chosen", [
    ({SEASONAL_NAIVE: 1.00, SEASONAL_AVERAGE: 0.97, SMOOTHING: 0.80}, SMOOTHING),  # clearly the best
    ({SEASONAL_NAIVE: 1.00, SEASONAL_AVERAGE: 0.96, SMOOTHING: 0.95}, SEASONAL_AVERAGE),  # 0.96 <= 0.95 x 1.05
    ({SEASONAL_NAIVE: 0.99, SEASONAL_AVERAGE: 1.20, SMOOTHING: 0.95}, SEASONAL_NAIVE),  # 0.99 <= 0.9975: a tie
    ({SEASONAL_NAIVE: 1.30, SEASONAL_AVERAGE: 1.20, SMOOTHING: 1.10}, SMOOTHING),  # above 1, still the best
    ({SEASONAL_NAIVE: math.nan, SEASONAL_AVERAGE: math.nan, SMOOTHING: math.nan}, SEASONAL_NAIVE),
    ({SEASONAL_AVERAGE: 0.9, SMOOTHING: math.nan}, SEASONAL_AVERAGE),
])
def test_the_simplest_model_within_five_percent_of_the_best_is_chosen(mases, chosen):
    assert bt.choose({name: record(value) for name, value in mases.items()}) == chosen


def test_a_seasonal_random_walk_publishes_the_seasonal_naive():
    """Each year is last year plus noise: the same quarter a year earlier is the best forecast there is."""
    n = 44
    values = 500 + np.cumsum(np.random.default_rng(4).normal(0, 20, n).reshape(-1, 4), axis=0).ravel()
    values = values + np.tile(PATTERN * 4, n // 4)
    made = bt.publish(values, seasons(n))
    assert made.model == SEASONAL_NAIVE
    assert made.records[SEASONAL_NAIVE].mase < min(made.records[SEASONAL_AVERAGE].mase,
                                                   made.records[SMOOTHING].mase) * (1 + bt.TIE)


def test_a_steady_trend_publishes_exponential_smoothing():
    n = 40
    values = 200 + 15 * np.arange(n) + PATTERN[seasons(n, 0)] + np.random.default_rng(6).normal(0, 5, n)
    made = bt.publish(values, seasons(n))
    assert made.model == SMOOTHING and made.description.startswith("exponential smoothing (damped trend")
    assert made.records[SMOOTHING].mase < 0.5 * made.records[SEASONAL_NAIVE].mase


def test_a_small_count_gets_a_whole_number_range_and_no_point_forecast():
    n = 40
    values = np.random.default_rng(8).poisson(3.0, n).astype(float)
    made = bt.publish(values, seasons(n))
    assert made.point is None
    for level in bt.LEVELS:
        assert (made.lower[level] >= 0).all() and (made.lower[level] == np.round(made.lower[level])).all()
        assert (made.upper[level] == np.round(made.upper[level])).all()
        assert (made.upper[level] > made.lower[level]).all()
    assert (made.lower[95] <= made.lower[80]).all() and (made.upper[80] <= made.upper[95]).all()


def test_a_series_too_short_for_a_back_test_has_no_forecast():
    assert bt.publish(np.arange(12.0), seasons(12)) is None  # 12 figures: no origin has one to compare
