"""The candidate models of a demand profile's forecast, simplest first; the back test chooses between them
(``compute/forecast_backtest.py``).

Each candidate takes the figures up to an origin (a numpy array over consecutive quarters, NaN where a quarter is
missing or disturbed) and the quarter of the year of every position (``seasons``: 0-3, for the figures and the
quarters to forecast), and gives a ``Prediction``: a point forecast and the model's own standard error for each
quarter ahead, or None when it cannot forecast from so few figures. The standard error only sets the *shape* of the
intervals across quarters ahead and from one origin to the next; their *width* is calibrated on the model's errors
in the back test.

- **Seasonal naive**: each quarter forecast by the same quarter of the latest year that has a figure for it
  (normally a year earlier; two years when the year between was disturbed). Standard error: the root mean square of
  the year-on-year changes in the figures up to the origin. Nothing is estimated.
- **Seasonal average** (a count model): each quarter forecast by the mean of the same quarter of the year over the
  latest ``AVERAGE_QUARTERS`` (12) figures. This is the maximum-likelihood fit of a Poisson regression with an
  effect for each quarter of the year (a Poisson model's fitted mean in a group of its own is the group's mean), so
  it is written as the means; its standard error is the quasi-Poisson one, ``sqrt(phi * mean)``, with ``phi`` the
  Pearson chi-square over the residual degrees of freedom (at least 1: no less spread than a Poisson count). Suited
  to small counts (homicide: a few a quarter), whose spread grows with their size.
- **Exponential smoothing** (the model the demand profiles used alone before): statsmodels' state-space
  ``ExponentialSmoothing``, fitted by maximum likelihood, with an additive level, an additive *damped* trend and,
  with at least three years of figures, an additive seasonal pattern of period 4. The Kalman filter skips missing
  (disturbed) quarters, so no quarter is invented; a damped trend keeps a recent rise or fall from being projected
  on without limit. When the fit fails (or gives no finite forecast), the level-only model (simple exponential
  smoothing) is used, and the description says so. Standard error: the model's own (Gaussian) forecast error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

SEASON = 4
SEASONAL_MIN_POINTS = 3 * SEASON  # three years, so each quarter's seasonal effect is seen at least three times
SMOOTHING_MIN_POINTS = 6  # fewer figures: no exponential smoothing
AVERAGE_QUARTERS = 12  # the seasonal average's window: the latest three years of figures
AVERAGE_MIN_POINTS = 8  # two years: each quarter of the year seen twice
SEASONAL_NAIVE, SEASONAL_AVERAGE, SMOOTHING = "seasonal naive", "seasonal average", "exponential smoothing"
CANDIDATES = (SEASONAL_NAIVE, SEASONAL_AVERAGE, SMOOTHING)  # simplest first: a tie goes to the earlier
DAMPED_SEASONAL, DAMPED, LEVEL = "damped trend, seasonal", "damped trend", "level only"


@dataclass(frozen=True)
class Prediction:
    point: np.ndarray  # per quarter ahead
    sd: np.ndarray  # the model's standard error per quarter ahead (> 0)
    model: str  # the candidate's name, with its variant: "exponential smoothing (damped trend, seasonal)"


def _positive(sd: np.ndarray, floor: float) -> np.ndarray:
    """A standard error the calibration can divide by: at least ``floor`` (half a count for counts)."""
    return np.maximum(np.nan_to_num(sd, nan=floor), floor)


def seasonal_naive(values: np.ndarray, seasons: np.ndarray, horizon: int, floor: float = 0.5) -> Prediction | None:
    """Each quarter ahead by the latest figure of the same quarter of the year (module docstring)."""
    n = len(values)
    point = np.full(horizon, np.nan)
    for k in range(horizon):
        same = np.flatnonzero((seasons[:n] == seasons[n + k]) & np.isfinite(values))
        if len(same):
            point[k] = values[same[-1]]
    if not np.isfinite(point).all():
        return None
    changes = values[SEASON:] - values[:-SEASON]
    changes = changes[np.isfinite(changes)]
    if not len(changes):
        return None
    sd = float(np.sqrt(np.mean(changes ** 2)))
    return Prediction(point, _positive(np.full(horizon, sd), floor), SEASONAL_NAIVE)


def seasonal_average(values: np.ndarray, seasons: np.ndarray, horizon: int, floor: float = 0.5) -> Prediction | None:
    """Each quarter ahead by its mean over the latest AVERAGE_QUARTERS figures, quasi-Poisson standard error
    (module docstring). A quarter of the year with no figure in the window takes the window's mean."""
    known = np.flatnonzero(np.isfinite(values))[-AVERAGE_QUARTERS:]
    if len(known) < AVERAGE_MIN_POINTS:
        return None
    window, quarter = values[known], seasons[known]
    means = {q: float(window[quarter == q].mean()) for q in np.unique(quarter)}
    fitted = np.array([means[q] for q in quarter])
    overall = float(window.mean())
    point = np.array([means.get(q, overall) for q in seasons[len(values):len(values) + horizon]])
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.where(fitted > 0, (window - fitted) ** 2 / fitted, 0.0)
    dispersion = max(1.0, float(pearson.sum()) / max(len(window) - len(means), 1))
    return Prediction(point, _positive(np.sqrt(dispersion * np.maximum(point, 0)), floor), SEASONAL_AVERAGE)


# --- exponential smoothing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fitted:
    model: str  # DAMPED_SEASONAL, DAMPED or LEVEL
    params: np.ndarray


def smoothing_model(points: int) -> str:
    return DAMPED_SEASONAL if points >= SEASONAL_MIN_POINTS else DAMPED if points >= SMOOTHING_MIN_POINTS else LEVEL


def _model(values: np.ndarray, model: str):
    """statsmodels' ``ExponentialSmoothing`` for ``model`` over ``values``, with cheaper evaluations in the
    optimiser, to the same bit (``ets_likelihood``)."""
    from strategy_update.compute.ets_likelihood import ExponentialSmoothing

    trend = model != LEVEL
    return ExponentialSmoothing(values, trend=trend, damped_trend=trend,
                                seasonal=SEASON if model == DAMPED_SEASONAL else None)


def _quietly(call):
    with warnings.catch_warnings():  # convergence chatter: a poor fit shows in the back test, not the log
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return call()


def _estimate(values: np.ndarray, model: str, start: np.ndarray | None = None) -> np.ndarray:
    """The maximum-likelihood estimates (Powell's method: no numerical gradients, several times faster than L-BFGS
    here for the same optimum), from statsmodels' starting values or ``start``; constrained, as ``filter`` takes
    them. No covariance of the estimates, no smoothed states: nothing here uses them."""
    spec = _model(values, model)
    if start is not None:  # estimates on a bound (a weight of 1e-4) have no finite unconstrained value: move inside
        free = _quietly(lambda: spec.untransform_params(start))
        if not np.isfinite(free).all():
            start = _quietly(lambda: spec.transform_params(np.nan_to_num(free, nan=0.0, posinf=8.0, neginf=-8.0)))
    return _quietly(lambda: spec.fit(start_params=start, disp=False, method="powell", return_params=True))


def _ahead(values: np.ndarray, model: str, params: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(forecast, standard error) of the ``horizon`` quarters after ``values``: one filter pass over the figures
    and as many missing quarters after them, whose predictions are the forecasts (``get_forecast`` would filter
    the figures once more)."""
    extended = np.concatenate([values, np.full(horizon, np.nan)])
    result = _quietly(lambda: _model(extended, model).filter(params, cov_type="none"))
    return (np.asarray(result.forecasts[0, -horizon:], dtype=float),
            np.sqrt(np.asarray(result.forecasts_error_cov[0, 0, -horizon:], dtype=float)))


def smoothing(values: np.ndarray, horizon: int, fitted: Fitted | None = None, start: Fitted | None = None
              ) -> tuple[np.ndarray, np.ndarray, Fitted] | None:
    """(point, standard error, the fit) of exponential smoothing over ``values`` (module docstring): estimated
    here (the optimiser starting from ``start``'s estimates when it is the same model), or, given ``fitted`` (an
    earlier fit's model and estimates), only run over the figures with them. None with fewer than
    SMOOTHING_MIN_POINTS figures, or when even the level-only model fails."""
    points = int(np.isfinite(values).sum())
    if fitted is not None:
        model = fitted.model.split(" (")[0]
        if points < (SEASONAL_MIN_POINTS if model == DAMPED_SEASONAL else SMOOTHING_MIN_POINTS):
            return None
        point, sd = _ahead(values, model, fitted.params, horizon)
        return (point, sd, fitted) if np.isfinite(point).all() and np.isfinite(sd).all() else None
    if points < SMOOTHING_MIN_POINTS:
        return None
    model, reason = smoothing_model(points), ""
    for attempt in ([model] if model == LEVEL else [model, LEVEL]):
        try:
            params = _estimate(values, attempt, start.params if start and start.model == attempt else None)
            point, sd = _ahead(values, attempt, params, horizon)
            if not (np.isfinite(point).all() and np.isfinite(sd).all()):
                raise ValueError("the fit gave no finite forecast")
            return point, sd, Fitted(attempt if attempt == model else f"{LEVEL} (fallback: {reason})", params)
        except (ValueError, np.linalg.LinAlgError) as exc:
            reason = f"{attempt} failed ({exc})"
    return None  # no forecast rather than a failed build; the page then shows none for this measure


class Smoothing:
    """Exponential smoothing as a candidate. In the back test (origins in increasing order) its parameters are
    estimated from the figures before an origin only: at the first origin and then every ``refit`` origins, the
    optimiser starting from the previous estimates (which saw only earlier figures; it then needs several times
    fewer evaluations than from statsmodels' starting values), the filter running on with the latest estimates in
    between (estimating at every origin would take four times as long for little change). ``published``: the
    forecast from every figure, estimated afresh (starting from the back test's latest estimates)."""

    def __init__(self, refit: int = 4, floor: float = 0.5):
        self.refit, self.floor = refit, floor
        self.latest: tuple[int, Fitted] | None = None  # (origin, fit)

    def __call__(self, values: np.ndarray, seasons: np.ndarray, horizon: int) -> Prediction | None:
        origin, fitted = self.latest if self.latest else (0, None)
        if fitted is not None and len(values) - origin >= self.refit:
            return self._estimated(values, horizon)
        if fitted is None:
            return self._estimated(values, horizon)
        made = smoothing(values, horizon, fitted)
        return None if made is None else Prediction(made[0], _positive(made[1], self.floor),
                                                    f"{SMOOTHING} ({fitted.model})")

    def published(self, values: np.ndarray, seasons: np.ndarray, horizon: int) -> Prediction | None:
        return self._estimated(values, horizon, keep=False)

    def _estimated(self, values: np.ndarray, horizon: int, keep: bool = True) -> Prediction | None:
        made = smoothing(values, horizon, start=self.latest[1] if self.latest else None)
        if made is None:
            return None
        point, sd, fit = made
        if keep:
            self.latest = (len(values), fit)
        return Prediction(point, _positive(sd, self.floor), f"{SMOOTHING} ({fit.model})")
