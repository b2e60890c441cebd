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

**Forecast.** The candidate models (``compute/forecast_models.py``: seasonal naive, seasonal average, exponential
smoothing), their back test, the intervals calibrated on their out-of-sample errors, the model the back test
supports and its track record: ``compute/forecast_backtest.py``. The forecast is made from the measure's whole
quarterly history up to the edition's quarter (``compute_editions`` hands it over), not only the quarters its
charts show: the calibration needs the errors of years of past forecasts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_update.compute.forecast_backtest import HORIZON, LEVELS, Published, publish
from strategy_update.compute.forecast_models import CANDIDATES, SEASON
from strategy_update.core.periods import Quarter, parse_quarter

TREND_QUARTERS = 12
TREND_MIN_POINTS = 8  # quarter dummies take 4 parameters and the slope one: fewer points leave too few to judge by
INCREASING, DECREASING, STABLE = "increasing", "decreasing", "stable"
FORECAST_COLUMNS = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]


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
    table: pd.DataFrame  # index: the future quarters (Quarter); columns FORECAST_COLUMNS (forecast NaN: a range only)
    published: Published


def forecast(series: pd.Series, horizon: int = HORIZON, disturbed: Iterable[str] = ()) -> Forecast | None:
    """The published forecast of the ``horizon`` quarters after the series' last quarter, with its calibrated 80%
    and 95% intervals (``forecast_backtest.publish``); None when the series is too short for a back test."""
    y = regular(series, disturbed)
    if y.empty:
        return None
    first = y.index[0].index
    seasons = np.arange(first, first + len(y) + horizon) % SEASON
    made = publish(y.to_numpy(), seasons, horizon)
    if made is None:
        return None
    point = np.full(horizon, np.nan) if made.point is None else made.point
    columns = [point] + [made.lower[level] if side == "lower" else made.upper[level]
                         for level in LEVELS for side in ("lower", "upper")]
    start = y.index[-1].shift(1)
    return Forecast(pd.DataFrame(np.column_stack(columns), index=[start.shift(k) for k in range(horizon)],
                                 columns=FORECAST_COLUMNS), made)


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


# --- rows of the results table -----------------------------------------------------------------------------------
KEY = ["publication", "force", "section", "measure", "area"]


def forecast_results(results: pd.DataFrame, disturbed: Iterable[str] = (), horizon: int = HORIZON) -> pd.DataFrame:
    """The demand profile rows of every force-wide quarterly series in ``results`` (``series`` rows: the measure's
    whole quarterly history up to the edition's quarter), for every force at once (a groupby over force, section
    and measure):

    - ``trend_rating`` (text: increasing / decreasing / stable; value: how many quarters the trend was fitted to),
      ``trend_slope_pct`` and its 95% interval ``trend_slope_pct_lower`` / ``_upper`` (per year, % of the mean;
      period: the trend's window);
    - per future quarter (period: its id; base_period: the last quarter of the series), ``forecast`` (text: the
      published model; value NaN for a small count, whose range only is published), ``forecast_lower_80``,
      ``forecast_upper_80``, ``forecast_lower_95``, ``forecast_upper_95`` (calibrated);
    - ``forecast_trend`` (text), then, for the last quarter of the series: ``forecast_model`` (text: the candidate
      chosen), ``forecast_calibration_80`` / ``_95`` (the multiple of the model's standard error; text: how it was
      set) and ``forecast_calibration_errors`` (past errors it was set from); the chosen model's track record in the
      nested back test: ``backtest_points`` (forecasts scored), ``backtest_inside_80`` / ``_95`` (inside the
      interval), ``backtest_coverage_80`` / ``_95`` (their shares) and ``backtest_mase``; and ``candidate_mase``
      per candidate (text: its name), over the same forecasts."""
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
        rows += _measure_rows(values, base, disturbed, horizon, lambda q: quarter_span(q).label)
    return tidy(pd.DataFrame(rows, columns=COLUMNS)) if rows else tidy(pd.DataFrame(columns=COLUMNS))


def _measure_rows(values: pd.Series, base: dict, disturbed: list[str], horizon: int, label) -> list[dict]:
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
    published = made.published
    origin_fields = {"base_period": origin.id, "base_period_label": label(origin)}
    for quarter, row in made.table.iterrows():
        at = {**base, **origin_fields, "period": quarter.id, "period_label": label(quarter)}
        rows.append({**at, "statistic": "forecast", "value": row["forecast"], "text": published.description})
        for level in LEVELS:
            for side in ("lower", "upper"):
                rows.append({**at, "statistic": f"forecast_{side}_{level}", "value": row[f"{side}_{level}"]})
    ahead = made.table.index
    span = {**base, **origin_fields, "period": ahead[-1].id,
            "period_label": f"{label(ahead[0])} to {label(ahead[-1])}"}
    rows.append({**span, "statistic": "forecast_trend", "text": forecast_trend(values, made.table, disturbed),
                 "value": np.nan})
    at_origin = {**base, **origin_fields, "period": origin.id, "period_label": label(origin)}
    record = published.record
    figures = [("forecast_model", np.nan, published.model)]
    figures += [(f"forecast_calibration_{level}", c.factor, c.method) for level, c in published.calibration.items()]
    figures += [("forecast_calibration_errors", float(published.calibration[LEVELS[0]].errors), ""),
                ("backtest_points", float(record.points), "")]
    figures += [(f"backtest_inside_{level}", float(record.inside[level]), "") for level in LEVELS]
    figures += [(f"backtest_coverage_{level}", record.coverage(level), "") for level in LEVELS]
    figures += [("backtest_mase", record.mase, "")]
    figures += [("candidate_mase", published.records[name].mase, name) for name in CANDIDATES
                if name in published.records]
    rows += [{**at_origin, "statistic": statistic, "value": value, "text": text} for statistic, value, text in figures]
    return rows
