"""The forecast model's cheaper likelihood (compute/ets_likelihood.py) gives statsmodels' value to the bit, so a fit
makes the same estimates, and the fit really takes the shortcut."""

import warnings

import numpy as np
import pytest
from statsmodels.tsa.statespace import exponential_smoothing as statsmodels_ets

from strategy_update.compute import ets_likelihood
from strategy_update.compute import forecast_models as fc

OPTIMISER = {"transformed": False, "includes_fixed": False, "score_method": "approx", "approx_complex_step": True}
MODELS = {fc.DAMPED_SEASONAL: {"trend": True, "damped_trend": True, "seasonal": 4},
          fc.DAMPED: {"trend": True, "damped_trend": True},
          fc.LEVEL: {}}


def series(seed: int, gaps: tuple[int, ...] = ()) -> np.ndarray:
    """20 quarters with a level, a drift, a seasonal pattern and noise; ``gaps`` are missing (disturbed) quarters."""
    rng = np.random.default_rng(seed)
    values = 500 + rng.normal(0, 3) * np.arange(20) + np.tile(rng.normal(0, 20, 4), 5) + rng.normal(0, 15, 20)
    values[list(gaps)] = np.nan
    return values


CASES = [(seed, gaps) for seed in range(4) for gaps in ((), (12, 13, 14, 15))]


def pair(values: np.ndarray, model: str):
    return (statsmodels_ets.ExponentialSmoothing(values, **MODELS[model]),
            ets_likelihood.ExponentialSmoothing(values, **MODELS[model]))


def quietly(call):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return call()


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("seed,gaps", CASES)
def test_the_likelihood_is_statsmodels_to_the_bit(model, seed, gaps):
    reference, quick = pair(series(seed, gaps), model)
    start = reference.untransform_params(reference.start_params)
    rng = np.random.default_rng(100 + seed)
    points = [start] + [start + rng.normal(0, scale, len(start)) for scale in (0.1, 0.5, 2.0) for _ in range(10)]
    expected = [quietly(lambda p=p: reference.loglike(p, dict(OPTIMISER))) for p in points]
    got = [quietly(lambda p=p: quick.loglike(p, dict(OPTIMISER))) for p in points]
    assert quick._filter is not None  # bound after the first call: the others took the shortcut
    assert np.array_equal(np.array(got), np.array(expected), equal_nan=True)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("seed,gaps", CASES[:4])
def test_a_fit_makes_statsmodels_estimates_and_forecasts(model, seed, gaps, monkeypatch):
    values = series(seed, gaps)
    reference, quick = pair(values, model)
    expected = quietly(lambda: reference.fit(disp=False, method="powell"))
    slow_calls = []
    slow = statsmodels_ets.ExponentialSmoothing.loglike
    monkeypatch.setattr(statsmodels_ets.ExponentialSmoothing, "loglike",
                        lambda self, *a, **k: slow_calls.append(1) or slow(self, *a, **k))
    got = quietly(lambda: quick.fit(disp=False, method="powell", cov_type="none"))
    assert np.array_equal(got.params, expected.params)
    assert np.array_equal(got.get_forecast(4).conf_int(alpha=0.2), expected.get_forecast(4).conf_int(alpha=0.2))
    assert got.mle_retvals["fcalls"] == expected.mle_retvals["fcalls"]
    assert len(slow_calls) < 0.05 * got.mle_retvals["fcalls"]  # nearly every evaluation took the shortcut


def test_other_calls_go_through_statsmodels(monkeypatch):
    _, quick = pair(series(0), fc.DAMPED_SEASONAL)
    params = quick.start_params
    quietly(lambda: quick.loglike(quick.untransform_params(params), dict(OPTIMISER)))  # binds the filter
    slow_calls = []
    slow = statsmodels_ets.ExponentialSmoothing.loglike
    monkeypatch.setattr(statsmodels_ets.ExponentialSmoothing, "loglike",
                        lambda self, *a, **k: slow_calls.append(1) or slow(self, *a, **k))
    quick.loglike(params)  # transformed parameters
    quick.loglike(params, transformed=True)
    quick.loglike(quick.untransform_params(params), {**OPTIMISER, "complex_step": True})
    assert len(slow_calls) == 3


def test_the_demand_profile_uses_the_cheaper_model(monkeypatch):
    values = series(1)
    shortcuts = []
    concentrated = ets_likelihood.ExponentialSmoothing._concentrated_loglike
    monkeypatch.setattr(ets_likelihood.ExponentialSmoothing, "_concentrated_loglike",
                        lambda self: shortcuts.append(1) or concentrated(self))
    point, sd, fit = fc.smoothing(values, 4)
    reference = quietly(lambda: statsmodels_ets.ExponentialSmoothing(values, **MODELS[fc.DAMPED_SEASONAL])
                        .fit(disp=False, method="powell"))
    assert fit.model == fc.DAMPED_SEASONAL
    assert np.array_equal(fit.params, reference.params)
    # Filtered with the estimates over the figures and four missing quarters after them, not smoothed and then
    # forecast as statsmodels' fit does: the same forecasts and standard errors.
    expected = reference.get_forecast(4)
    np.testing.assert_allclose(point, expected.predicted_mean, rtol=1e-12)
    np.testing.assert_allclose(sd, np.sqrt(expected.var_pred_mean), rtol=1e-12)
    assert len(shortcuts) > 100
