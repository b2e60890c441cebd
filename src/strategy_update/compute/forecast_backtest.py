"""A demand profile's forecast as published: the candidate models' back test, intervals calibrated on their
out-of-sample errors, the model the back test supports, and its track record.

**Back test (rolling origin).** From each of the latest ``ORIGINS`` (24) quarters before the edition's with at
least ``MIN_TRAIN`` (12) figures before it, every candidate (``compute/forecast_models.py``) forecasts the next
``HORIZON`` (4) quarters from the figures before that quarter only, and each forecast of a quarter that has a figure
(not disturbed) is compared with it. A model's parameters are estimated from the figures before the origin only.

**Calibrated intervals (split-conformal on scaled errors).** An error is scaled by the model's own standard error
for that forecast, ``|actual - forecast| / sd``, which carries how uncertainty grows with the quarters ahead and the
size of the count; so the errors of every quarter ahead can calibrate together. The interval at level ``1 - a`` is
``forecast +/- q * sd``, ``q`` the ``ceil((n + 1)(1 - a))``-th smallest of ``n`` past scaled errors (the
split-conformal quantile: with exchangeable errors it covers at least ``1 - a``). With too few errors for that
rank (fewer than 4 for 80%, 19 for 95%), ``q`` is the Student t quantile with ``n`` degrees of freedom times the
errors' root mean square (exact when the scaled errors are normal); with fewer than ``MIN_ERRORS`` (4) there is
no interval. For counts the bounds are whole numbers, widened outwards, and never below zero (nor for any series
that never went below zero).

**Nested: no peeking.** The interval of a forecast made at an origin is calibrated only on errors that were known
there: of forecasts made at earlier origins, of quarters before the origin. Each back-test forecast whose origin
had enough of them is *scored*: inside its 80% (95%) interval or not. The published forecast's intervals are
calibrated on every back-test error.

**The model the back test supports.** Over the scored forecasts that every candidate made, each candidate's MASE:
the mean absolute error, each divided by the in-sample mean absolute error of the seasonal naive forecast (the same
quarter a year earlier) on the figures before its origin. The published model is the simplest candidate (seasonal
naive, then seasonal average, then exponential smoothing) whose MASE is within ``TIE`` (5%) of the lowest: a more
complex model has to do clearly better to be preferred. Its track record is its scored forecasts: how many, and
how many fell inside the 80% and the 95% intervals.

**Small counts.** Where the latest four figures average fewer than ``SMALL_COUNT`` (10), no point forecast is
published, only the calibrated range: a count that small moves by chance by about as much as its size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from strategy_update.compute.forecast_models import (
    CANDIDATES,
    SEASON,
    SEASONAL_AVERAGE,
    SEASONAL_NAIVE,
    SMOOTHING,
    Prediction,
    Smoothing,
    seasonal_average,
    seasonal_naive,
)

HORIZON = 4
MIN_TRAIN = 12  # figures before an origin of the back test
ORIGINS = 24  # back-test origins: the latest six years of quarters (a later edition costs no more than this one)
LEVELS = (80, 95)
MIN_ERRORS = 4  # past errors needed to calibrate an interval
TIE = 0.05  # a more complex candidate must have a MASE more than 5% below a simpler one's to be preferred
SMALL_COUNT = 10  # below this average of the latest four figures: a range, no point forecast

Predictor = Callable[[np.ndarray, np.ndarray, int], Prediction | None]


def candidates(floor: float = 0.5) -> dict[str, Predictor]:
    """Fresh candidates (exponential smoothing keeps its latest estimates from origin to origin)."""
    return {SEASONAL_NAIVE: lambda v, s, h: seasonal_naive(v, s, h, floor),
            SEASONAL_AVERAGE: lambda v, s, h: seasonal_average(v, s, h, floor),
            SMOOTHING: Smoothing(floor=floor)}


# --- calibration ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    factor: float  # q: the interval is forecast +/- q x the model's standard error
    method: str  # "conformal" or "Student t"
    errors: int  # past scaled errors it was set from


def calibrate(scaled_errors: np.ndarray, level: int) -> Calibration | None:
    """The multiple of the standard error that past ``scaled_errors`` (``|error| / sd``) support for a ``level``%
    interval (module docstring); None with fewer than MIN_ERRORS."""
    errors = np.abs(np.asarray(scaled_errors, dtype=float))
    n = len(errors)
    if n < MIN_ERRORS:
        return None
    rank = math.ceil((n + 1) * level / 100)
    if rank <= n:
        return Calibration(float(np.sort(errors)[rank - 1]), "conformal", n)
    from scipy import stats

    quantile = float(stats.t.ppf(0.5 + level / 200, n))
    return Calibration(quantile * float(np.sqrt(np.mean(errors ** 2))), "Student t", n)


def bounds(point: np.ndarray, sd: np.ndarray, factor: float, counts: bool, floor: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """The interval ``point +/- factor * sd``: whole numbers widened outwards for counts, never below zero when
    ``floor``."""
    lower, upper = point - factor * sd, point + factor * sd
    if counts:
        lower, upper = np.floor(lower + 1e-9), np.ceil(upper - 1e-9)  # a bound a hair off a whole number is it
    if floor:
        lower = np.maximum(lower, 0.0)
    return lower, upper


# --- the back test -------------------------------------------------------------------------------------------------
@dataclass
class Forecasts:
    """One candidate's back-test forecasts, one entry each: origin (position of the first quarter forecast; the
    figures before it were known), target (position forecast), point, sd, actual, and the seasonal naive's in-sample
    MAE at the origin (MASE's scale)."""

    origin: list[int] = field(default_factory=list)
    target: list[int] = field(default_factory=list)
    point: list[float] = field(default_factory=list)
    sd: list[float] = field(default_factory=list)
    actual: list[float] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(values, dtype=float) for name, values in self.__dict__.items()}


def seasonal_naive_scale(values: np.ndarray) -> float:
    """In-sample mean absolute error of the seasonal-naive forecast (lag 4), over pairs with both figures."""
    diffs = np.abs(values[SEASON:] - values[:-SEASON])
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.mean()) if len(diffs) else np.nan


def backtest_forecasts(values: np.ndarray, seasons: np.ndarray, models: dict[str, Predictor],
                       horizon: int = HORIZON, min_train: int = MIN_TRAIN, origins: int = ORIGINS
                       ) -> dict[str, Forecasts]:
    """Every candidate's rolling-origin forecasts over ``values`` (module docstring). ``seasons``: the quarter of the
    year of each position, for the figures and the ``horizon`` quarters after them."""
    n = len(values)
    out = {name: Forecasts() for name in models}
    counted = np.cumsum(np.isfinite(values))
    for origin in range(max(1, n - origins), n):
        actual = values[origin:origin + horizon]
        if counted[origin - 1] < min_train or not np.isfinite(actual).any():
            continue
        train = values[:origin]
        scale = seasonal_naive_scale(train)
        for name, predict in models.items():
            made = predict(train, seasons[:origin + horizon], horizon)
            if made is None:
                continue
            f = out[name]
            for k in np.flatnonzero(np.isfinite(actual)):
                f.origin.append(origin), f.target.append(origin + k), f.actual.append(actual[k])
                f.point.append(made.point[k]), f.sd.append(made.sd[k]), f.scale.append(scale)
    return out


@dataclass(frozen=True)
class Scored:
    """A candidate's back-test forecasts scored in the nested back test: which could be (their origin had enough
    earlier errors), and whether each fell inside its 80% and 95% intervals."""

    scored: np.ndarray  # bool per forecast
    inside: dict[int, np.ndarray]  # level -> bool per forecast (False where not scored)


def nested_scores(forecasts: Forecasts, counts: bool, floor: bool) -> Scored:
    """Each back-test forecast against its interval, calibrated only on the errors known at its origin: of quarters
    before it (so of forecasts from earlier origins)."""
    f = forecasts.arrays()
    scaled = np.abs(f["actual"] - f["point"]) / f["sd"]
    scored = np.zeros(len(scaled), dtype=bool)
    inside = {level: np.zeros(len(scaled), dtype=bool) for level in LEVELS}
    for origin in np.unique(f["origin"]):
        known = f["target"] < origin
        calibrations = {level: calibrate(scaled[known], level) for level in LEVELS}
        if any(c is None for c in calibrations.values()):
            continue
        here = f["origin"] == origin
        scored |= here
        for level, c in calibrations.items():
            lower, upper = bounds(f["point"][here], f["sd"][here], c.factor, counts, floor)
            inside[level][here] = (f["actual"][here] >= lower) & (f["actual"][here] <= upper)
    return Scored(scored, inside)


# --- choice and the published forecast -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """A candidate's track record over the forecasts every candidate had scored."""

    points: int
    inside: dict[int, int]  # level -> how many fell inside
    mase: float  # NaN when the seasonal naive was exact in every training window (nothing to scale by)

    def coverage(self, level: int) -> float:
        return self.inside[level] / self.points if self.points else np.nan


@dataclass(frozen=True)
class Published:
    model: str  # the chosen candidate (CANDIDATES)
    description: str  # with its variant: "exponential smoothing (damped trend, seasonal)"
    point: np.ndarray | None  # None: a small count, a range only
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]
    calibration: dict[int, Calibration]
    record: Record  # the chosen model's
    records: dict[str, Record]  # every candidate's, for the reason it was chosen


def choose(records: dict[str, Record], tie: float = TIE) -> str:
    """The simplest candidate whose MASE is within ``tie`` of the lowest (candidates without a MASE only when none
    has one: then the simplest)."""
    order = [name for name in CANDIDATES if name in records]
    known = {name: records[name].mase for name in order if not math.isnan(records[name].mase)}
    if not known:
        return order[0]
    best = min(known.values())
    return next(name for name in order if name in known and known[name] <= best * (1 + tie) + 1e-12)


def _records(forecasts: dict[str, Forecasts], scores: dict[str, Scored]) -> dict[str, Record]:
    """Each candidate's record over the (origin, target) pairs every candidate made and had scored."""
    keys = {name: set(zip(*(np.asarray(getattr(forecasts[name], c))[scores[name].scored]
                            for c in ("origin", "target"))))
            for name in forecasts}
    common = set.intersection(*keys.values()) if keys else set()
    records = {}
    for name, f in forecasts.items():
        a = f.arrays()
        pairs = list(zip(f.origin, f.target))
        mask = np.array([p in common for p in pairs], dtype=bool) & scores[name].scored
        scaled = np.abs(a["actual"] - a["point"])[mask] / a["scale"][mask]
        scaled = scaled[np.isfinite(scaled)]
        records[name] = Record(int(mask.sum()),
                               {level: int(scores[name].inside[level][mask].sum()) for level in LEVELS},
                               float(scaled.mean()) if len(scaled) else np.nan)
    return records


def publish(values: np.ndarray, seasons: np.ndarray, horizon: int = HORIZON) -> Published | None:
    """The published forecast of the ``horizon`` quarters after ``values`` (module docstring): None when no candidate
    has errors enough in the back test to calibrate its intervals."""
    known = values[np.isfinite(values)]
    if not len(known):
        return None
    counts = bool(np.all(known == np.round(known)))
    floor = counts or bool(np.all(known >= 0))  # a count's rare negative quarter is an adjustment, not a count
    sd_floor = 0.5 if counts else 1e-9
    models = candidates(sd_floor)
    forecasts = backtest_forecasts(values, seasons, models, horizon)
    forecasts = {name: f for name, f in forecasts.items() if f.origin}
    scores = {name: nested_scores(f, counts, floor) for name, f in forecasts.items()}
    usable = {name for name, s in scores.items() if s.scored.any()}
    if not usable:
        return None
    records = _records({n: forecasts[n] for n in usable}, {n: scores[n] for n in usable})
    chosen = choose(records)
    predict = models[chosen]
    made = getattr(predict, "published", predict)(values, seasons, horizon)  # estimated from every figure
    if made is None:
        return None
    a = forecasts[chosen].arrays()
    scaled = np.abs(a["actual"] - a["point"]) / a["sd"]
    calibration = {level: calibrate(scaled, level) for level in LEVELS}
    lower, upper = {}, {}
    for level, c in calibration.items():
        lower[level], upper[level] = bounds(made.point, made.sd, c.factor, counts, floor)
    recent = known[-SEASON:]
    point = None if counts and recent.mean() < SMALL_COUNT else made.point
    return Published(chosen, made.model, point, lower, upper, calibration, records[chosen], records)
