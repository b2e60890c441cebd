"""The forecast model's likelihood, evaluated without statsmodels' per-call bookkeeping.

Fitting a demand profile's exponential smoothing model (``forecast._fit``) evaluates its log-likelihood about 500
times, and statsmodels spends most of each evaluation in Python around its Kalman filter: re-validating and copying
all eight system matrices, rebuilding the initial state through several layers, before a filter pass that itself
takes a tenth of the time. In the national edition that was the largest single cost of a force.

``ExponentialSmoothing`` here is statsmodels' model with one change: during the optimiser's search it writes the
few numbers a new parameter vector changes (the smoothing weights in the selection matrix, the damping in the
transition matrix, the initial state) straight into the arrays statsmodels' compiled filter is bound to, runs
that filter, and turns its output into the concentrated log-likelihood by statsmodels' own formula. Same filter,
same matrices, same arithmetic: the value is identical to the bit, so the optimiser takes the same path to the
same estimates (``tests/test_ets_likelihood.py`` holds it to that, value by value and fit by fit). Anything else
(the first evaluation, which binds the filter; complex-step derivatives; fixed parameters; filtering and
smoothing with the estimates) goes through statsmodels unchanged.

It depends on statsmodels' internals (``_representations``, ``_statespaces``, ``_kalman_filters``), so the
version is pinned in ``pyproject.toml``, and the tests fail if an upgrade changes any of it.
"""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.statespace import exponential_smoothing
from statsmodels.tsa.statespace.kalman_filter import FILTER_CONCENTRATED, MEMORY_CONSERVE, MEMORY_NO_LIKELIHOOD

PREFIX = "d"  # statsmodels' name for the float64 filter
LOGLIKE_MEMORY = MEMORY_CONSERVE ^ MEMORY_NO_LIKELIHOOD  # what statsmodels' loglike asks the filter to keep


class ExponentialSmoothing(exponential_smoothing.ExponentialSmoothing):
    """statsmodels' state-space exponential smoothing, whose optimiser evaluations are cheaper (module docstring)."""

    _filter = None  # statsmodels' compiled filter for this model, once bound with loglike's settings

    def loglike(self, params, *args, **kwargs):
        if self._filter is None or not _optimiser_call(params, args, kwargs):
            value = super().loglike(params, *args, **kwargs)
            self._bind()
            return value
        self._set_parameters(self.transform_params(params))
        self.ssm._statespaces[PREFIX].initialize(self.ssm.initialization, complex_step=False)
        self._filter()
        return self._concentrated_loglike()

    def _bind(self) -> None:
        """Keep the filter statsmodels has just run, when it is set up as this shortcut expects; else keep none."""
        ssm = self.ssm
        kfilter = ssm._kalman_filters.get(PREFIX)
        usable = (kfilter is not None and kfilter.conserve_memory == LOGLIKE_MEMORY and kfilter.nobs_diffuse == 0
                  and ssm.filter_method & FILTER_CONCENTRATED and ssm.loglikelihood_burn == 0
                  and self.initialization_method == "estimated" and not self._has_fixed_params)
        if not usable:
            self._filter = None
            return
        self._filter = kfilter
        # Copies of the matrices a parameter vector changes; their other entries never change.
        self._selection = np.array(ssm["selection"], dtype=float)
        self._transition = np.array(ssm["transition"], dtype=float)
        self._state_cov = np.array(ssm["state_cov"], dtype=float)
        # Observed figures, as statsmodels counts them (``KalmanFilter.loglike``): fixed for the model.
        self._observed = np.sum(ssm.k_endog - np.array(ssm._statespace.nmissing))
        # The filter's output, seen as arrays once: each pass writes its figures into the same memory.
        self._loglikelihood, self._scale = np.asarray(kfilter.loglikelihood), np.asarray(kfilter.scale)

    def _set_parameters(self, params: np.ndarray) -> None:
        """What ``update`` and ``_initialize_constant_statespace`` set, in the same operations, written into the
        arrays the compiled filter reads."""
        selection, transition = self._selection, self._transition
        selection[0, 0] = 1 - params[0]
        selection[1, 0] = params[0]
        i = 1
        if self.trend:
            selection[2, 0] = params[i]
            i += 1
        if self.seasonal:
            selection[0, 0] -= params[i]
            selection[i + 1, 0] = params[i]
            i += 1
        if self.damped_trend:
            transition[1:3, 2] = params[i]
            i += 1
        # The initial state: [0, level, trend, seasonals, minus their sum], as update builds it (np.r_ there).
        parts = [0., params[i]]
        i += 1
        if self.trend:
            parts.append(params[i])
            i += 1
        constant = np.array(parts)
        if self.seasonal:
            seasonal = params[i: i + self.seasonal_periods - 1]
            constant = np.concatenate([constant, seasonal, [0 - np.add.reduce(seasonal)]])
        initialization = self.ssm.initialization
        initialization.constant = np.dot(transition, constant)
        initialization.stationary_cov = selection.dot(self._state_cov).dot(selection.T)
        bound = self.ssm._representations[PREFIX]
        bound["selection"][:, :, 0] = selection
        bound["transition"][:, :, 0] = transition

    def _concentrated_loglike(self) -> float:
        """``KalmanFilter.loglike``'s concentrated log-likelihood from the filter's output (no burn-in, no diffuse
        periods: ``_bind`` checked)."""
        observed = self._observed - self._filter.nobs_kendog_univariate_singular
        loglike = np.add.reduce(self._loglikelihood)  # np.sum's own reduction
        scale = np.add.reduce(self._scale) / observed
        loglike += -0.5 * observed
        return loglike + -0.5 * observed * np.log(scale)


def _optimiser_call(params, args: tuple, kwargs: dict) -> bool:
    """Is this the optimiser's call: real, unconstrained parameters, passed as ``MLEModel.fit`` passes them?"""
    if kwargs or len(args) != 1 or not isinstance(args[0], dict):
        return False
    flags = args[0]
    return (flags.get("transformed") is False and not flags.get("includes_fixed")
            and not flags.get("complex_step") and not np.iscomplexobj(params))
