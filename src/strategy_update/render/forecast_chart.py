"""A measure's demand profile on its page: the series with the forecast fan (80% and 95% bands), its alt text, its
data as CSV and the sentences under it. Every figure comes from the results table (compute/forecast.py's rows)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from strategy_update.compute.forecast import DECREASING, INCREASING
from strategy_update.compute.forecast_backtest import SMALL_COUNT, TIE
from strategy_update.compute.forecast_models import CANDIDATES, SEASONAL_AVERAGE, SEASONAL_NAIVE, SMOOTHING
from strategy_update.core.formatting import format_pct, format_value, round_half_away
from strategy_update.model.forces import display_name
from strategy_update.model.publication import Measure, Publication
from strategy_update.render import charts
from strategy_update.render.downloads import write_download

BAND_95, BAND_80 = "rgba(18, 67, 109, 0.15)", "rgba(18, 67, 109, 0.35)"  # the palette's dark blue, lighter
# How a page names each candidate model, and says what it does (compute/forecast_models.py).
MODEL_NAMES = {SEASONAL_NAIVE: "the seasonal naive", SEASONAL_AVERAGE: "the seasonal average",
               SMOOTHING: "exponential smoothing"}
MODEL_RULES = {SEASONAL_NAIVE: "each quarter forecast by the same quarter a year earlier",
               SEASONAL_AVERAGE: "each quarter forecast by its average over the last three years, a count model"}


@dataclass(frozen=True)
class DemandFigures:
    trend: str  # increasing, decreasing, stable ('' : too few quarters)
    slope_pct: float  # per year, % of the mean, with its 95% interval
    slope_lower: float
    slope_upper: float
    trend_from: str  # the trend's window (labels)
    trend_to: str
    forecast: pd.DataFrame  # period, label, forecast (NaN: a range only), lower_80, upper_80, lower_95, upper_95
    model: str  # the published model, with its variant ("exponential smoothing (damped trend, seasonal)")
    chosen: str  # the candidate chosen by the back test (compute/forecast_models.py CANDIDATES)
    forecast_trend: str
    coverage_80: float  # the chosen model's calibrated intervals in the nested back test
    coverage_95: float
    inside_80: int
    inside_95: int
    mase: float
    points: int  # past forecasts scored
    candidates: dict  # candidate -> its MASE over the same past forecasts
    origin: str = ""  # the last quarter of the series the forecast starts after (id)

    @property
    def point_forecast(self) -> bool:
        """False for a small count: the range only is published (compute/forecast_backtest.py SMALL_COUNT)."""
        return bool(self.forecast["forecast"].notna().all())

    @property
    def naive_mase(self) -> float:
        return self.candidates.get(SEASONAL_NAIVE, math.nan)


def demand_figures(results: pd.DataFrame, force: str, section_id: str, measure_id: str) -> DemandFigures | None:
    """One measure's demand profile rows, or None when it has none (no quarterly series long enough)."""
    rows = results[(results["force"] == force) & (results["section"] == section_id)
                   & (results["measure"] == measure_id) & (results["area"] == "")]
    if rows.empty or not (rows["statistic"] == "forecast").any():
        return None

    def one(statistic: str) -> pd.Series | None:
        found = rows[rows["statistic"] == statistic]
        return None if found.empty else found.iloc[0]

    def value(statistic: str) -> float:
        row = one(statistic)
        return math.nan if row is None else float(row["value"])

    def count(statistic: str) -> int:
        found = value(statistic)
        return 0 if math.isnan(found) else int(found)
    trend = one("trend_rating")
    table = rows[rows["statistic"] == "forecast"][["period", "period_label", "value", "text"]].rename(
        columns={"period_label": "label", "value": "forecast"}).reset_index(drop=True)
    for column in ("lower_80", "upper_80", "lower_95", "upper_95"):
        table[column] = rows[rows["statistic"] == f"forecast_{column}"]["value"].to_numpy()
    mases = rows[rows["statistic"] == "candidate_mase"]
    return DemandFigures(
        trend="" if trend is None else trend["text"], slope_pct=value("trend_slope_pct"),
        slope_lower=value("trend_slope_pct_lower"), slope_upper=value("trend_slope_pct_upper"),
        trend_from="" if trend is None else trend["base_period_label"],
        trend_to="" if trend is None else trend["period_label"],
        forecast=table.drop(columns="text"), model=table["text"].iloc[0],
        chosen=one("forecast_model")["text"] if one("forecast_model") is not None else "",
        forecast_trend=one("forecast_trend")["text"] if one("forecast_trend") is not None else "",
        coverage_80=value("backtest_coverage_80"), coverage_95=value("backtest_coverage_95"),
        inside_80=count("backtest_inside_80"), inside_95=count("backtest_inside_95"), mase=value("backtest_mase"),
        points=count("backtest_points"), candidates=dict(zip(mases["text"], mases["value"].astype(float))),
        origin=one("forecast")["base_period"])


def disturbed_labels(publication: Publication, series: pd.DataFrame) -> list[str]:
    """The labels of the chart's quarters that the definition declares disturbed."""
    from strategy_update.model.publication import disturbed_quarters

    off = set(disturbed_quarters(publication))
    return [label for period, label in zip(series["period"], series["period_label"]) if period in off]


def fan_chart(series: pd.DataFrame, demand: DemandFigures, measure: Measure, disturbed: list[str]) -> go.Figure:
    """The observed quarters as a line, the forecast as a dashed line from the last of them (none for a small
    count: a range only), and its calibrated 95% and 80% intervals as two shaded bands; disturbed quarters drawn
    as hollow markers and named in the legend."""
    unit = measure.unit
    observed = series[series["value"].notna()]
    labels = list(series["period_label"]) + list(demand.forecast["label"])
    last_label, last_value = observed["period_label"].iloc[-1], float(observed["value"].iloc[-1])
    ahead = [last_label] + list(demand.forecast["label"])
    what = "the forecast" if demand.point_forecast else "the forecast range"
    title = f"{measure.name}: {unit} per quarter and {what} for the next {len(demand.forecast)} quarters"
    fig = charts.figure(title, unit.capitalize(), xaxis=charts.category_axis(labels))
    for level, colour in ((95, BAND_95), (80, BAND_80)):
        upper = [last_value] + list(demand.forecast[f"upper_{level}"])
        lower = [last_value] + list(demand.forecast[f"lower_{level}"])
        fig.add_scatter(x=ahead + ahead[::-1], y=upper + lower[::-1], fill="toself", fillcolor=colour,
                        line={"width": 0}, mode="lines", name=f"{level}% prediction interval",
                        hoverinfo="skip")
    kept = observed[~observed["period_label"].isin(disturbed)]
    fig.add_scatter(x=list(observed["period_label"]), y=list(observed["value"]), mode="lines", showlegend=False,
                    line={"color": charts.DARK_BLUE, "width": 2}, hoverinfo="skip")
    fig.add_scatter(x=list(kept["period_label"]), y=list(kept["value"]), mode="markers", name=unit.capitalize(),
                    marker={"color": charts.DARK_BLUE, "size": 6}, hovertemplate="%{x}: %{y:,}<extra></extra>")
    off = observed[observed["period_label"].isin(disturbed)]
    if len(off):
        fig.add_scatter(x=list(off["period_label"]), y=list(off["value"]), mode="markers",
                        name="Disturbed quarter (left out of the model)",
                        marker={"color": charts.DARK_BLUE, "size": 8, "symbol": "circle-open", "line": {"width": 2}},
                        hovertemplate="%{x}: %{y:,} (disturbed)<extra></extra>")
    if demand.point_forecast:
        fig.add_scatter(x=ahead, y=[last_value] + list(demand.forecast["forecast"]), mode="lines+markers",
                        name="Forecast", line={"color": charts.ORANGE, "dash": "dash", "width": 2.5},
                        marker={"symbol": "diamond", "size": 7, "color": charts.ORANGE},
                        hovertemplate="%{x}: %{y:,.0f} (forecast)<extra></extra>")
    return fig


def _expected(row: pd.Series, unit: str, point: bool) -> str:
    """``314`` (a point forecast) or ``between 2 and 9`` (a range only), for a quarter."""
    if point:
        return format_value(row["forecast"], unit)
    return f"between {format_value(row['lower_80'], unit)} and {format_value(row['upper_80'], unit)}"


def fan_alt(series: pd.DataFrame, demand: DemandFigures, measure: Measure, force: str) -> str:
    observed = series[series["value"].notna()]
    first, last = demand.forecast.iloc[0], demand.forecast.iloc[-1]
    unit, point = measure.unit, demand.point_forecast
    if point:
        ahead = (f"{format_value(first['forecast'], unit)} {unit} in {first['label']} (80% interval "
                 f"{format_value(first['lower_80'], unit)} to {format_value(first['upper_80'], unit)}) and "
                 f"{format_value(last['forecast'], unit)} in {last['label']} (80% interval "
                 f"{format_value(last['lower_80'], unit)} to {format_value(last['upper_80'], unit)})")
    else:
        ahead = (f"a range only, {_expected(first, unit, False)} {unit} in {first['label']} and "
                 f"{_expected(last, unit, False)} in {last['label']} (80% intervals)")
    return (f"Line chart of {measure.name.lower()} per quarter in {display_name(force)}"
            f", {observed['period_label'].iloc[0]} to "
            f"{observed['period_label'].iloc[-1]}, with the forecast for {first['label']} to {last['label']}: "
            f"{ahead}; shaded bands show the 80% and 95% intervals, set from the model's errors in past forecasts.")


def fan_data(series: pd.DataFrame, demand: DemandFigures, unit: str, disturbed: list[str]) -> pd.DataFrame:
    """The chart's data: each observed quarter, then each forecast quarter with its interval columns."""
    past = pd.DataFrame({"quarter": series["period_label"], "kind": "observed", unit: series["value"],
                         "disturbed": series["period_label"].isin(disturbed)})
    ahead = pd.DataFrame({"quarter": demand.forecast["label"], "kind": "forecast", unit: demand.forecast["forecast"],
                          "disturbed": False, **{f"{c}": demand.forecast[c] for c in
                                                 ("lower_80", "upper_80", "lower_95", "upper_95")}})
    # One decimal place: a forecast's further digits are noise, and observed counts are whole anyway.
    return pd.concat([past, ahead], ignore_index=True).round(1)


def trend_sentence(demand: DemandFigures) -> str:
    if not demand.trend:
        return "**Current trend:** not rated, as fewer than 8 recent quarters have a figure."
    return (f"**Current trend:** {demand.trend}. From {demand.trend_from} to {demand.trend_to} the figures changed "
            f"by {format_pct(demand.slope_pct)} a year after allowing for the season (95% confidence interval "
            f"{format_pct(demand.slope_lower)} to {format_pct(demand.slope_upper)}"
            + ("; the interval includes no change)." if demand.trend not in (INCREASING, DECREASING) else ")."))


def model_sentence(demand: DemandFigures) -> str:
    """Which model was published and why, in one sentence (compute/forecast_backtest.py's rule)."""
    others = [f"{MODEL_NAMES[name]} {format_mase(demand.candidates[name])}" for name in CANDIDATES
              if name in demand.candidates and name != demand.chosen]
    against = f" (MASE {format_mase(demand.mase)}" + (f"; {', '.join(others)})" if others else ")")
    variant = demand.model.removeprefix(demand.chosen).strip()  # exponential smoothing's: "(damped trend, seasonal)"
    said = MODEL_NAMES.get(demand.chosen, demand.chosen) + (f" ({MODEL_RULES[demand.chosen]})"
                                                           if demand.chosen in MODEL_RULES else f" {variant}")
    if demand.chosen == SEASONAL_NAIVE:
        return (f"The model is {said}: no other model tried was more than {round(TIE * 100)}% more accurate in "
                f"the back test{against}, so the simplest is used.")
    known = [v for v in demand.candidates.values() if not math.isnan(v)]
    best = not known or math.isnan(demand.mase) or demand.mase <= min(known)
    why = (f"the most accurate in the back test{against}" if best else
           f"the simplest model within {round(TIE * 100)}% of the most accurate in the back test{against}")
    if not math.isnan(demand.mase) and demand.mase > 1:
        why += ("; above 1, its errors were larger than a typical change from one year to the next, but the "
                "seasonal naive did no better")
    return f"The model is {said}: {why}."


def format_mase(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def track_record_sentence(demand: DemandFigures) -> str:
    """The calibrated intervals' track record, once."""
    if not demand.points:
        return ""
    return (f"In the back test, intervals set this way held {demand.inside_80} of {demand.points} past forecasts "
            f"at 80% ({format_share(demand.coverage_80)}) and {demand.inside_95} of {demand.points} at 95% "
            f"({format_share(demand.coverage_95)}).")


def forecast_sentences(demand: DemandFigures, unit: str) -> str:
    """The trend, then one paragraph: where the forecast goes and what it expects (one sentence, so two measures
    going the same way do not print the same sentence), the model and why, and how such intervals held."""
    first, last = demand.forecast.iloc[0], demand.forecast.iloc[-1]
    going = f"**Forecast:** {demand.forecast_trend or 'not rated'} over the next year"
    if demand.point_forecast:
        expects = (f"{going}, with {format_value(first['forecast'], unit)} {unit} expected in {first['label']} (80% "
                   f"interval {format_value(first['lower_80'], unit)} to {format_value(first['upper_80'], unit)}; "
                   f"95% {format_value(first['lower_95'], unit)} to {format_value(first['upper_95'], unit)}) and "
                   f"{format_value(last['forecast'], unit)} in {last['label']} (80% "
                   f"{format_value(last['lower_80'], unit)} to {format_value(last['upper_80'], unit)}).")
    else:
        expects = (f"{going}. With fewer than {SMALL_COUNT} {unit} a quarter, chance moves the figure by about as "
                   f"much as its size, so no single number is forecast, only the range: "
                   f"{_expected(first, unit, False)} {unit} in {first['label']} (80% interval; 95% "
                   f"{format_value(first['lower_95'], unit)} to {format_value(first['upper_95'], unit)}) and "
                   f"{_expected(last, unit, False)} in {last['label']} (80%).")
    # The track record ends the model's sentence: two measures' records can be alike, their models' less so.
    model, record = model_sentence(demand), track_record_sentence(demand)
    if record:
        model = f"{model.removesuffix('.')}; {record[0].lower()}{record[1:]}"
    return "\n".join([trend_sentence(demand), "", f"{expects} {model}"])


def forecasts_note(view, all_figures) -> str:
    """What the section's forecasts share, said once above its measures: where the method is described, and the
    disturbed quarters left out ('' when no measure has a forecast)."""
    forecast = [f for f in all_figures if _published_demand(view, f) is not None]
    if not forecast:
        return ""
    disturbed = list(dict.fromkeys(label for f in forecast
                                   for label in disturbed_labels(view.publication, f.series)))
    note = ("Each trend and forecast below is worked out as the Methods page describes, with intervals set from "
            "the model's past errors.")
    if disturbed:
        note += (f" The disturbed quarters ({disturbed[0]} to {disturbed[-1]}) are left out of the trends and the "
                 "models as if missing, so they do not move the forecasts.")
    return note


def _no_forecast_sentence(view, figures) -> str:
    """Why a measure without a published forecast has none ('' when it has no quarterly series): a reader of a
    page whose other measures have forecasts should not have to guess."""
    from strategy_update.compute.forecast import TREND_MIN_POINTS
    from strategy_update.compute.forecast_backtest import MIN_TRAIN

    m, series = figures.measure, figures.series
    if m.snapshot or not len(series):
        return ""
    quarterly = series[series["period"].astype(str).str.fullmatch(r"\d{4}-\d{2}-Q[1-4]")]
    if quarterly.empty or not quarterly["value"].notna().any():
        return ""
    disturbed = set(disturbed_labels(view.publication, quarterly))
    known = int((quarterly["value"].notna() & ~quarterly["period_label"].isin(disturbed)).sum())
    trend = "" if known >= TREND_MIN_POINTS else f" (a trend needs {TREND_MIN_POINTS})"
    outside = " outside the disturbed quarters" if disturbed else ""
    return (f"**No forecast for {m.name}:** it has {known} quarters with a figure{outside}{trend}, and a forecast "
            f"is published only once its models can be tested on past quarters, which needs more than {MIN_TRAIN}.")


def _published_demand(view, figures) -> DemandFigures | None:
    """The measure's demand profile as its page publishes it: None for a snapshot, a series with no figure, or no
    forecast."""
    m = figures.measure
    if m.snapshot or not len(figures.series) or not figures.series["value"].notna().any():
        return None
    return demand_figures(view.results, view.force, figures.section_id, m.id)


def format_share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{round_half_away(100 * value)}%"


def demand_chart(series: pd.DataFrame, demand: DemandFigures, publication: Publication, measure: Measure,
                 force: str, stem: str) -> tuple[go.Figure, str, str]:
    """(figure, alt text, download path) of the fan chart."""
    disturbed = disturbed_labels(publication, series)
    fig = fan_chart(series, demand, measure, disturbed)
    return fig, fan_alt(series, demand, measure, force), write_download(
        fan_data(series, demand, measure.unit, disturbed), f"{stem}-forecast")


def demand_section(view, figures) -> list:
    """The display objects of a measure's demand profile on its page (none without a forecast): a heading, the
    trend and forecast sentences, the fan chart and its description with the CSV link."""
    from IPython.display import Markdown

    from strategy_update.render.chart_images import Bundle, figure_bundle

    m = figures.measure
    demand = _published_demand(view, figures)
    if demand is None:
        reason = _no_forecast_sentence(view, figures)
        return [Markdown(reason)] if reason else []
    fig, alt, path = demand_chart(figures.series, demand, view.publication, m, view.force,
                                  f"{figures.section_id}-{m.id}")
    return [Markdown("\n".join([f"#### {m.name}: trend and forecast", "",
                                forecast_sentences(demand, m.unit), ""])),
            Bundle(figure_bundle(fig, alt, view.print_charts)),
            Markdown(f"*Chart description:* {alt} [Download the chart data (CSV)]({path})")]
