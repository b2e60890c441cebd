"""Demand profiles: each measure's current trend, its forecast for the next quarters, and that forecast's track record.

Every function takes a quarterly series: a pandas Series of values indexed by quarter id (``2021-22-Q4``), in any
order, with gaps allowed. Quarters declared **disturbed** (e.g. Covid restrictions in 2020/21, named with their
reason in the publication definition) are treated as missing: they set neither the trend, nor the forecast, nor the
back test's scores, so a spike in a disturbed year moves nothing.

**Trend rule.** An ordinary least squares line through the latest ``quarters`` (12) quarters that have a figure and
are not disturbed, with a dummy for each quarter of the year, so that a seasonal pattern is not mistaken for a
trend. The trend is ``increasing`` (``decreasing``) when the 95% confidence interval of the slope lies wholly above
(below) zero, and ``stable`` otherwise; the slope is also given per year, as a percentage of the window's mean.
Fewer than 8 such quarters give no rating.

**Forecast model.** Exponential smoothing in state-space form (``statsmodels.tsa.statespace.exponential_smoothing.
ExponentialSmoothing``), fitted by maximum likelihood: additive level, additive *damped* trend and, with at least
three years of figures, an additive seasonal pattern of period 4. Why: the series are short (12-20 quarters), so
a model with few parameters that adapts to recent levels suits them better than ARIMA order selection; a damped
trend keeps a recent rise or fall from being projected on without limit (damped trends forecast short series
better on average than straight ones); the Kalman filter treats missing (disturbed) quarters exactly, by skipping
their update, so no quarter has to be invented; and it gives prediction intervals from the model's own
variance. Counts cannot be negative, so a lower bound below zero is shown as zero when every figure is
non-negative. When the fit fails (or gives no finite forecast) the fallback is the level-only model (simple
exponential smoothing), and the forecast says which model it used.

**Back test.** Rolling origin: from each past quarter with at least ``min_train`` figures before it, the model
forecasts ``horizon`` quarters from the figures up to then only, and each forecast is compared with what happened
(quarters with a figure that are not disturbed). Coverage is the share of actual values inside the 80% (95%)
interval; MASE is the mean absolute error divided by the in-sample mean absolute error of the seasonal-naive
forecast (same quarter a year earlier, lag 4) on the data up to the origin, so below 1 means better than
seasonal-naive. The parameters (smoothing weights, damping, starting states) used from an origin are estimated
from the data before it only: afresh at the first origin and then once every four origins, the filter running on
with the latest estimate in between (re-estimating at every origin would take four times as long for little
change). So the track record is out of sample. An earlier version held the whole series' parameters in the back
test (``refit=0``, kept for comparison): about ten times faster, but those parameters have seen the quarters being
forecast, and in the default edition that made intervals that were too narrow look right.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_update.core.periods import Quarter, parse_quarter

SEASON = 4
TREND_QUARTERS = 12
TREND_MIN_POINTS = 8  # quarter dummies take 4 parameters and the slope one: fewer points leave too few to judge by
SEASONAL_MIN_POINTS = 3 * SEASON  # three years, so each quarter's seasonal effect is seen at least three times
MIN_POINTS = 6  # fewer figures give no forecast
INCREASING, DECREASING, STABLE = "increasing", "decreasing", "stable"
INTERVALS = (80, 95)
FORECAST_COLUMNS = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
DAMPED_SEASONAL, DAMPED, LEVEL = "damped trend, seasonal", "damped trend", "level only"
REFIT_EVERY = 4  # the back test estimates the model afresh once a year of origins (module docstring)


# --- the series --------------------------------------------------------------------------------------------------
def regular(series: pd.Series, disturbed: Iterable[str] = ()) -> pd.Series:
    """The series on every quarter from its first figure to its last quarter, in order, indexed by ``Quarter``;
    missing and disturbed quarters are NaN."""
    # In plain Python: the back test makes this series for every origin, and pandas' groupby and reindex cost more
    # than the rest of a forecast around the fit.
    off = {parse_quarter(str(q)).index for q in disturbed}
    numbers = pd.to_numeric(series.to_numpy(), errors="coerce").astype(float)
    last: dict[int, float] = {}  # quarter -> its last figure that is a number (NaN if none), as groupby().last()
    for quarter, value in zip(series.index, numbers):
        at = _quarter_index(str(quarter))
        if value == value:
            last[at] = float(value)
        else:
            last.setdefault(at, np.nan)
    known = [at for at, value in last.items() if value == value and at not in off]
    if not known:
        return pd.Series([], dtype=float)
    span = range(min(known), max(last) + 1)
    return pd.Series([np.nan if at in off else last.get(at, np.nan) for at in span],
                     index=[Quarter.from_index(at) for at in span], dtype=float)


@functools.lru_cache(maxsize=4096)
def _quarter_index(text: str) -> int:
    return parse_quarter(text).index


# --- trend -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    rating: str  # increasing, decreasing, stable, or '' when there are too few figures
    slope_pct_per_year: float  # the slope per year as a % of the window's mean
    lower_pct: float  # the slope's 95% confidence interval, same unit
    upper_pct: float
    first: Quarter | None  # the window: first and last quarter used, and how many had a figure
    last: Quarter | None
    points: int


def trend_rating(series: pd.Series, quarters: int = TREND_QUARTERS, disturbed: Iterable[str] = ()) -> Trend:
    """The current trend by the rule in the module docstring."""
    import statsmodels.api as sm  # imported here: loading statsmodels takes a second the rest of the build needn't

    known = regular(series, disturbed).dropna().tail(quarters)
    if len(known) < TREND_MIN_POINTS:
        return Trend("", np.nan, np.nan, np.nan, None, None, len(known))
    years = np.array([q.index for q in known.index], dtype=float) / SEASON
    dummies = np.array([[q.number == k for k in range(1, SEASON + 1)] for q in known.index], dtype=float)
    design = np.column_stack([years, dummies[:, dummies.any(axis=0)]])  # a dummy per quarter of the year seen
    fit = sm.OLS(known.to_numpy(), design).fit()
    slope, (lower, upper) = fit.params[0], fit.conf_int(alpha=0.05)[0]
    mean = known.mean()
    scale = 100 / abs(mean) if mean else np.nan
    rating = INCREASING if lower > 0 else DECREASING if upper < 0 else STABLE
    return Trend(rating, slope * scale, lower * scale, upper * scale, known.index[0], known.index[-1], len(known))


# --- forecast ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    table: pd.DataFrame  # index: the future quarters (Quarter); columns FORECAST_COLUMNS
    model: str  # which model made it (DAMPED_SEASONAL, DAMPED, LEVEL), with the fallback's reason if any
    params: np.ndarray | None = None


def model_for(points: int) -> str:
    return DAMPED_SEASONAL if points >= SEASONAL_MIN_POINTS else DAMPED if points >= MIN_POINTS else LEVEL


def _fit(values: np.ndarray, model: str, params: np.ndarray | None = None):
    """The model fitted by maximum likelihood (Powell's method: no numerical gradients, several times faster than
    L-BFGS here for the same optimum), or, given ``params``, only filtered with them. The estimates' covariance is
    not computed, nor the smoothed states: nothing here uses them (a forecast starts from the filter's last
    state). (``ExponentialSmoothing`` is statsmodels', with cheaper evaluations in the optimiser, to the same bit:
    ``ets_likelihood``.)"""
    from strategy_update.compute.ets_likelihood import ExponentialSmoothing

    trend = model != LEVEL
    spec = ExponentialSmoothing(values, trend=trend, damped_trend=trend,
                                seasonal=SEASON if model == DAMPED_SEASONAL else None)
    with warnings.catch_warnings():  # convergence chatter: a poor fit shows in the back test, not the log
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            if params is None:  # the estimates, then one filter pass: ``fit`` would run the smoother too
                params = spec.fit(disp=False, method="powell", return_params=True)  # constrained, as ``filter`` takes
            return spec.filter(params, cov_type="none")


def _table(result, horizon: int, start: Quarter, floor: bool) -> pd.DataFrame:
    prediction = result.get_forecast(horizon)
    columns = {"forecast": np.asarray(prediction.predicted_mean, dtype=float)}
    for level in INTERVALS:
        bounds = np.asarray(prediction.conf_int(alpha=1 - level / 100), dtype=float)
        columns[f"lower_{level}"], columns[f"upper_{level}"] = bounds[:, 0], bounds[:, 1]
    values = np.column_stack([columns[name] for name in FORECAST_COLUMNS])
    if floor:
        values = np.where(values < 0, 0.0, values)  # as DataFrame.clip(lower=0) would, NaN kept, in numpy: faster
    return pd.DataFrame(values, index=[start.shift(k) for k in range(horizon)], columns=FORECAST_COLUMNS)


def forecast(series: pd.Series, horizon: int = 4, disturbed: Iterable[str] = (),
             params: np.ndarray | None = None, model: str | None = None) -> Forecast | None:
    """Point forecasts and 80% and 95% prediction intervals for the ``horizon`` quarters after the series' last
    quarter (model and fallback: module docstring); None with fewer than MIN_POINTS figures. Given ``model`` and
    its ``params`` (a ``Forecast``'s), the model is not fitted again, only run over the series."""
    y = regular(series, disturbed)
    points = int(y.notna().sum())
    if points < MIN_POINTS:
        return None
    floor = bool((y.dropna() >= 0).all())
    start = y.index[-1].shift(1)
    if params is not None and model is not None:
        return Forecast(_table(_fit(y.to_numpy(), model, params), horizon, start, floor), model, params)
    model, reason = model_for(points), ""
    try:
        result = _fit(y.to_numpy(), model)
        table = _table(result, horizon, start, floor)
        if not np.isfinite(table.to_numpy()).all():
            raise ValueError("the fit gave no finite forecast")
        return Forecast(table, model, np.asarray(result.params))
    except (ValueError, np.linalg.LinAlgError) as exc:
        if model == LEVEL:
            return None
        reason = f"{model} failed ({exc})"
    try:
        result = _fit(y.to_numpy(), LEVEL)
        table = _table(result, horizon, start, floor)
    except (ValueError, np.linalg.LinAlgError):
        return None  # no forecast rather than a failed build; the page then shows none for this measure
    if not np.isfinite(table.to_numpy()).all():
        return None
    return Forecast(table, f"{LEVEL} (fallback: {reason})", np.asarray(result.params))


def forecast_trend(series: pd.Series, table: pd.DataFrame, disturbed: Iterable[str] = ()) -> str:
    """The forecast's direction over the next year, by a rule that respects its uncertainty: ``increasing`` when the
    mean of the next four quarters' lower 80% bounds is above the mean of the latest four figures (not disturbed),
    ``decreasing`` when the mean of their upper 80% bounds is below it, ``stable`` otherwise. A year against a year,
    so the seasons cancel."""
    recent = regular(series, disturbed).dropna().tail(SEASON)
    ahead = table.head(SEASON)
    if len(recent) < SEASON or len(ahead) < SEASON:
        return ""
    level = recent.mean()
    if ahead["lower_80"].mean() > level:
        return INCREASING
    if ahead["upper_80"].mean() < level:
        return DECREASING
    return STABLE


# --- back test ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Backtest:
    coverage_80: float
    coverage_95: float
    mase: float  # NaN when seasonal-naive is exact in every training window (nothing to scale by)
    points: int  # forecasts compared with what happened
    origins: int


Forecaster = Callable[[pd.Series, int], pd.DataFrame | None]


def seasonal_naive(series: pd.Series, horizon: int) -> pd.DataFrame | None:
    """The benchmark: each quarter forecast by the same quarter a year before the origin (no intervals)."""
    if series.dropna().empty:
        return None
    last = series.index[-1]
    at = dict(zip(series.index, series.to_numpy()))
    future = [last.shift(k) for k in range(1, horizon + 1)]
    point = [at.get(q.shift(-SEASON * ((k - 1) // SEASON + 1)), np.nan) for k, q in enumerate(future, start=1)]
    table = pd.DataFrame({"forecast": point}, index=future)
    for column in FORECAST_COLUMNS[1:]:
        table[column] = np.nan
    return table


def seasonal_naive_scale(values: np.ndarray) -> float:
    """In-sample mean absolute error of the seasonal-naive forecast (lag 4), over pairs with both figures."""
    diffs = np.abs(values[SEASON:] - values[:-SEASON])
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.mean()) if len(diffs) else np.nan


def backtest(series: pd.Series, horizon: int = 4, min_train: int = 12, disturbed: Iterable[str] = (),
             forecaster: Forecaster | None = None, refit: int = 0, whole: Forecast | None = None) -> Backtest:
    """Rolling-origin back test (module docstring). ``forecaster(train, horizon)`` takes a regular series (from
    ``regular``) and returns a table like ``Forecast.table`` or None; by default this module's model: with
    ``refit`` k > 0 estimated from the data before the origin, afresh at the first origin and every k quarters
    after it (the filter runs on with the latest estimate in between); with ``refit`` 0 the parameters of the fit to
    the whole series (``whole``, fitted here when not given)."""
    y = regular(series, disturbed)
    if forecaster is None:
        if not refit:
            whole = whole or forecast(series, horizon, disturbed)
            if whole is None:
                return Backtest(np.nan, np.nan, np.nan, 0, 0)
        latest: dict = {} if refit else {"fit": whole, "at": None}

        def forecaster(train: pd.Series, h: int) -> pd.DataFrame | None:
            at = train.index[-1].index
            fit = latest.get("fit")
            if refit and (fit is None or at - latest["at"] >= refit):
                fit = forecast(train.set_axis([q.id for q in train.index]), h)
                if fit is None:
                    return None
                latest.update(fit=fit, at=at)
                return fit.table
            model = fit.model.split(" (")[0]
            if train.notna().sum() < (SEASONAL_MIN_POINTS if model == DAMPED_SEASONAL else MIN_POINTS):
                return None
            made = forecast(train.set_axis([q.id for q in train.index]), h, params=fit.params, model=model)
            return None if made is None else made.table
    values = y.to_numpy()
    errors, scaled, inside = [], [], {level: [] for level in INTERVALS}
    origins = 0
    for origin in range(1, len(y)):
        train, actual = y.iloc[:origin], y.iloc[origin:origin + horizon].dropna()
        if train.notna().sum() < min_train or actual.empty:
            continue
        table = forecaster(train, horizon)
        if table is None:
            continue
        table = table.reindex(actual.index)
        table, actual = table[table["forecast"].notna()], actual[table["forecast"].notna().to_numpy()]
        if actual.empty:
            continue
        origins += 1
        error = (actual - table["forecast"]).abs().to_numpy()
        scale = seasonal_naive_scale(values[:origin])
        errors.extend(error)
        scaled.extend(error / scale if scale > 0 else np.full(len(error), np.nan))
        for level in INTERVALS:
            lower, upper = table[f"lower_{level}"].to_numpy(), table[f"upper_{level}"].to_numpy()
            known = np.isfinite(lower) & np.isfinite(upper)
            inside[level].extend(((actual.to_numpy() >= lower) & (actual.to_numpy() <= upper))[known])
    scaled_known = np.array(scaled, dtype=float)
    scaled_known = scaled_known[np.isfinite(scaled_known)]

    def share(flags: list) -> float:
        return float(np.mean(flags)) if flags else np.nan
    return Backtest(share(inside[80]), share(inside[95]),
                    float(scaled_known.mean()) if len(scaled_known) else np.nan, len(errors), origins)


# --- rows of the results table -----------------------------------------------------------------------------------
KEY = ["publication", "force", "section", "measure", "area"]


def forecast_results(results: pd.DataFrame, disturbed: Iterable[str] = (), horizon: int = 4,
                     refit: int = REFIT_EVERY) -> pd.DataFrame:
    """The demand profile rows of every force-wide quarterly series in ``results`` (``compute_results``' output:
    its ``series`` rows), for every force at once (a groupby over force, section and measure):

    - ``trend_rating`` (text: increasing / decreasing / stable), ``trend_slope_pct`` and its 95% interval
      ``trend_slope_pct_lower`` / ``_upper`` (per year, % of the mean; period: the trend's window);
    - per future quarter (period: its id; base_period: the last quarter of the series), ``forecast`` (text: the
      model), ``forecast_lower_80``, ``forecast_upper_80``, ``forecast_lower_95``, ``forecast_upper_95``;
    - ``forecast_trend`` (text), and the back test: ``backtest_coverage_80``, ``backtest_coverage_95``,
      ``backtest_mase`` and ``backtest_points`` (forecasts compared); ``refit``: see ``backtest``.
    ``trend_rating``'s value is how many quarters the trend was fitted to."""
    from strategy_update.compute.comparisons import quarter_span
    from strategy_update.compute.results import COLUMNS, tidy

    disturbed = list(disturbed)
    series = results[(results["statistic"] == "series") & (results["area"] == "")]
    series = series[series["period"].str.fullmatch(r"\d{4}-\d{2}-Q[1-4]")]  # quarters, not 31 March counts
    rows: list[dict] = []
    for key, group in series.groupby(KEY, sort=False):
        values = pd.Series(group["value"].to_numpy(dtype=float), index=group["period"].tolist())
        base = {**dict(zip(KEY, key)), "source_file": group["source_file"].iloc[0],
                "lines": sorted(x for lines in group["lines"] for x in lines)}
        rows += _measure_rows(values, base, disturbed, horizon, quarter_span, refit)
    return tidy(pd.DataFrame(rows, columns=COLUMNS)) if rows else tidy(pd.DataFrame(columns=COLUMNS))


def _measure_rows(values: pd.Series, base: dict, disturbed: list[str], horizon: int, quarter_span,
                  refit: int) -> list[dict]:
    def label(q: Quarter) -> str:
        return quarter_span(q).label

    rows = []
    last = regular(values, disturbed)
    if last.empty:
        return rows
    origin = last.index[-1]
    trend = trend_rating(values, disturbed=disturbed)
    if trend.rating:
        window = {"period": trend.last.id, "period_label": label(trend.last), "base_period": trend.first.id,
                  "base_period_label": label(trend.first)}
        rows += [{**base, **window, "statistic": "trend_rating", "text": trend.rating, "value": float(trend.points)},
                 {**base, **window, "statistic": "trend_slope_pct", "value": trend.slope_pct_per_year},
                 {**base, **window, "statistic": "trend_slope_pct_lower", "value": trend.lower_pct},
                 {**base, **window, "statistic": "trend_slope_pct_upper", "value": trend.upper_pct}]
    made = forecast(values, horizon, disturbed)
    if made is None:
        return rows
    origin_fields = {"base_period": origin.id, "base_period_label": label(origin)}
    for quarter, row in made.table.iterrows():
        at = {**base, **origin_fields, "period": quarter.id, "period_label": label(quarter)}
        rows.append({**at, "statistic": "forecast", "value": row["forecast"], "text": made.model})
        for level in INTERVALS:
            for side in ("lower", "upper"):
                rows.append({**at, "statistic": f"forecast_{side}_{level}", "value": row[f"{side}_{level}"]})
    ahead = made.table.index
    span = {**base, **origin_fields, "period": ahead[-1].id,
            "period_label": f"{label(ahead[0])} to {label(ahead[-1])}"}
    rows.append({**span, "statistic": "forecast_trend", "text": forecast_trend(values, made.table, disturbed),
                 "value": np.nan})
    record = backtest(values, horizon, disturbed=disturbed, refit=refit, whole=made)
    for statistic, value in (("backtest_coverage_80", record.coverage_80), ("backtest_coverage_95", record.coverage_95),
                             ("backtest_mase", record.mase), ("backtest_points", float(record.points))):
        rows.append({**base, **origin_fields, "period": origin.id, "period_label": label(origin),
                     "statistic": statistic, "value": value})
    return rows
