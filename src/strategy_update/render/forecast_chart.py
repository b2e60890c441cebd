"""A measure's demand profile on its page: the series with the forecast fan (80% and 95% bands), its alt text, its
data as CSV and the sentences under it. Every figure comes from the results table (compute/forecast.py's rows)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from strategy_update.compute.forecast import DECREASING, INCREASING
from strategy_update.core.formatting import format_pct, format_value, round_half_away
from strategy_update.model.forces import display_name
from strategy_update.model.publication import Measure, Publication
from strategy_update.render import charts
from strategy_update.render.downloads import write_download

TOO_NARROW = 2 / 3  # back-test coverage of the 80% interval below which the page says the intervals were too narrow
BAND_95, BAND_80 = "rgba(18, 67, 109, 0.15)", "rgba(18, 67, 109, 0.35)"  # the palette's dark blue, lighter


@dataclass(frozen=True)
class DemandFigures:
    trend: str  # increasing, decreasing, stable ('' : too few quarters)
    slope_pct: float  # per year, % of the mean, with its 95% interval
    slope_lower: float
    slope_upper: float
    trend_from: str  # the trend's window (labels)
    trend_to: str
    forecast: pd.DataFrame  # period, label, forecast, lower_80, upper_80, lower_95, upper_95
    model: str
    forecast_trend: str
    coverage_80: float
    coverage_95: float
    mase: float
    points: int
    origin: str = ""  # the last quarter of the series the forecast starts after (id)

    @property
    def intervals_too_narrow(self) -> bool:
        """Fewer than 2 in 3 actual values inside the 80% interval in the back test (a stated threshold: with the
        few past forecasts a measure has, coverage a little under 80% is chance)."""
        return not math.isnan(self.coverage_80) and self.coverage_80 < TOO_NARROW

    @property
    def worse_than_seasonal_naive(self) -> bool:
        return not math.isnan(self.mase) and self.mase >= 1


def demand_figures(results: pd.DataFrame, force: str, section_id: str, measure_id: str) -> DemandFigures | None:
    """One measure's demand profile rows, or None when it has none (no quarterly series)."""
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
    trend = one("trend_rating")
    table = rows[rows["statistic"] == "forecast"][["period", "period_label", "value", "text"]].rename(
        columns={"period_label": "label", "value": "forecast"}).reset_index(drop=True)
    for column in ("lower_80", "upper_80", "lower_95", "upper_95"):
        table[column] = rows[rows["statistic"] == f"forecast_{column}"]["value"].to_numpy()
    return DemandFigures(
        trend="" if trend is None else trend["text"], slope_pct=value("trend_slope_pct"),
        slope_lower=value("trend_slope_pct_lower"), slope_upper=value("trend_slope_pct_upper"),
        trend_from="" if trend is None else trend["base_period_label"],
        trend_to="" if trend is None else trend["period_label"],
        forecast=table.drop(columns="text"), model=table["text"].iloc[0],
        forecast_trend=one("forecast_trend")["text"] if one("forecast_trend") is not None else "",
        coverage_80=value("backtest_coverage_80"), coverage_95=value("backtest_coverage_95"),
        mase=value("backtest_mase"), points=int(0 if math.isnan(points := value("backtest_points")) else points),
        origin=one("forecast")["base_period"])


def disturbed_labels(publication: Publication, series: pd.DataFrame) -> list[str]:
    """The labels of the chart's quarters that the definition declares disturbed."""
    from strategy_update.model.publication import disturbed_quarters

    off = set(disturbed_quarters(publication))
    return [label for period, label in zip(series["period"], series["period_label"]) if period in off]


def fan_chart(series: pd.DataFrame, demand: DemandFigures, measure: Measure, disturbed: list[str]) -> go.Figure:
    """The observed quarters as a line, the forecast as a dashed line from the last of them, and its 95% and 80%
    prediction intervals as two shaded bands; disturbed quarters drawn as hollow markers and named in the legend."""
    unit = measure.unit
    observed = series[series["value"].notna()]
    labels = list(series["period_label"]) + list(demand.forecast["label"])
    last_label, last_value = observed["period_label"].iloc[-1], float(observed["value"].iloc[-1])
    ahead = [last_label] + list(demand.forecast["label"])
    title = f"{measure.name}: {unit} per quarter and the forecast for the next {len(demand.forecast)} quarters"
    fig = charts.figure(title, unit.capitalize(), xaxis=charts.category_axis(labels))
    for level, colour in ((95, BAND_95), (80, BAND_80)):
        upper = [last_value] + list(demand.forecast[f"upper_{level}"])
        lower = [last_value] + list(demand.forecast[f"lower_{level}"])
        fig.add_scatter(x=ahead + ahead[::-1], y=upper + lower[::-1], fill="toself", fillcolor=colour,
                        line={"width": 0}, mode="lines", name=f"{level}% prediction interval", hoverinfo="skip")
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
    fig.add_scatter(x=ahead, y=[last_value] + list(demand.forecast["forecast"]), mode="lines+markers",
                    name="Forecast", line={"color": charts.ORANGE, "dash": "dash", "width": 2.5},
                    marker={"symbol": "diamond", "size": 7, "color": charts.ORANGE},
                    hovertemplate="%{x}: %{y:,.0f} (forecast)<extra></extra>")
    return fig


def fan_alt(series: pd.DataFrame, demand: DemandFigures, measure: Measure, force: str) -> str:
    observed = series[series["value"].notna()]
    first, last = demand.forecast.iloc[0], demand.forecast.iloc[-1]
    unit = measure.unit
    return (f"Line chart of {measure.name.lower()} per quarter in {display_name(force)}"
            f", {observed['period_label'].iloc[0]} to "
            f"{observed['period_label'].iloc[-1]}, with the forecast for {first['label']} to {last['label']}: "
            f"{format_value(first['forecast'], unit)} {unit} in {first['label']} (80% interval "
            f"{format_value(first['lower_80'], unit)} to {format_value(first['upper_80'], unit)}) and "
            f"{format_value(last['forecast'], unit)} in {last['label']} (80% interval "
            f"{format_value(last['lower_80'], unit)} to {format_value(last['upper_80'], unit)}); shaded bands show "
            f"the 80% and 95% prediction intervals.")


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


def forecast_sentences(demand: DemandFigures, unit: str, disturbed: list[str]) -> str:
    first, last = demand.forecast.iloc[0], demand.forecast.iloc[-1]
    text = [trend_sentence(demand), "",
            f"**Forecast:** {demand.forecast_trend or 'not rated'} over the next year. The model "
            f"({demand.model}) expects {format_value(first['forecast'], unit)} {unit} in {first['label']} (80% "
            f"prediction interval {format_value(first['lower_80'], unit)} to {format_value(first['upper_80'], unit)}; "
            f"95% {format_value(first['lower_95'], unit)} to {format_value(first['upper_95'], unit)}) and "
            f"{format_value(last['forecast'], unit)} in {last['label']} (80% {format_value(last['lower_80'], unit)} to "
            f"{format_value(last['upper_80'], unit)})."]
    if disturbed:
        text[-1] += (f" The disturbed quarters ({disturbed[0]} to {disturbed[-1]}) are left out of the trend and the "
                     "model as if missing, so they do not move the forecast.")
    if demand.points:
        text[-1] += (f" In the back test ({demand.points} past forecasts), {format_share(demand.coverage_80)} of "
                     f"actual values fell inside the 80% interval and {format_share(demand.coverage_95)} inside the "
                     f"95% interval.")
    if demand.intervals_too_narrow:
        text += ["", f"**The intervals have been too narrow.** In the back test only "
                 f"{format_share(demand.coverage_80)} of actual values fell inside the 80% interval (and "
                 f"{format_share(demand.coverage_95)} inside the 95% one), so the real range of outcomes is likely "
                 "wider than the shaded bands."]
    if demand.worse_than_seasonal_naive:
        text += ["", f"**This forecast did worse than the simplest alternative.** In the back test its errors were "
                 f"{demand.mase:.2f} times those of a seasonal-naive forecast (the same quarter a year earlier), so "
                 "treat it with caution."]
    return "\n".join(text)


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
    demand = demand_figures(view.results, view.force, figures.section_id, m.id)
    if demand is None or m.snapshot or not figures.series["value"].notna().any():
        return []
    disturbed = disturbed_labels(view.publication, figures.series)
    fig, alt, path = demand_chart(figures.series, demand, view.publication, m, view.force,
                                  f"{figures.section_id}-{m.id}")
    return [Markdown("\n".join([f"#### {m.name}: trend and forecast", "",
                                forecast_sentences(demand, m.unit, disturbed), ""])),
            Bundle(figure_bundle(fig, alt, view.print_charts)),
            Markdown(f"*Chart description:* {alt} [Download the chart data (CSV)]({path}) How the trend, forecast "
                     "and intervals are worked out: see the Methods page.")]
