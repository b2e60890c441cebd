"""The charts of one measure (bar, control chart, seasonal), their alt text and their data as CSV."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from strategy_update.compute import spc
from strategy_update.compute.comparisons import parse_span
from strategy_update.core.formatting import format_value
from strategy_update.core.periods import Quarter
from strategy_update.model.forces import display_name
from strategy_update.render import charts
from strategy_update.render.downloads import write_download
from strategy_update.render.figures import MeasureFigures, period_label
from strategy_update.render.text import signal_text

SEASON_YEARS = 4


# The bars' period, as the chart title says it ("crimes per quarter") and as the download's file name ends.
FILE_SUFFIX = {"quarter": "quarterly", "month": "monthly", "12 months": "12-monthly", "period": "by-period"}


def _granularity(periods: list[str]) -> str:
    spans = [parse_span(p) for p in periods]
    if all(s.quarter is not None for s in spans):
        return "quarter"
    if all(s.months == 1 for s in spans):
        return "month"
    return "12 months" if all(s.months == 12 for s in spans) else "period"


def bar_data(figures: MeasureFigures, quarter: Quarter, history: int) -> pd.DataFrame:
    """The bars: the chart history's quarters for open data; the periods the force supplied, over the same
    window, otherwise."""
    if figures.measure.snapshot:  # one count a year, at 31 March: the chart history's 31 Marches with a count
        series = figures.series
        bars = series[series["value"].notna()].rename(columns={"period_label": "label"})
    elif figures.measure.source == "home_office":
        bars = figures.series.rename(columns={"period_label": "label"})
    else:
        start = parse_span(quarter.shift(1 - history).id).first_month
        end = parse_span(quarter.id).last_month
        shown = figures.observations
        bars = shown[(shown["first_month"] >= start) & (shown["last_month"] <= end)].copy()
        bars["label"] = [period_label(p) for p in bars["period"]]
    current = parse_span((figures.rate_figures if figures.measure.snapshot else figures.headline).current_period)
    bars = bars.assign(current=[current.first_month <= parse_span(p).first_month and
                                parse_span(p).last_month <= current.last_month for p in bars["period"]])
    return bars.reset_index(drop=True)


def seasonal_table(figures: MeasureFigures, quarter: Quarter) -> tuple[dict, list[str]]:
    """Values by financial year (one line each) across its quarters, for the seasonal chart."""
    values = {p: v for p, v in zip(figures.series["period"], figures.series["value"]) if pd.notna(v)}
    table: dict[str, list[float | None]] = {}
    for k in range(SEASON_YEARS - 1, -1, -1):
        fy = quarter.fy_start - k
        row = [values.get(Quarter(fy, n).id) if Quarter(fy, n) <= quarter else None for n in range(1, 5)]
        if any(v is not None for v in row):
            table[Quarter(fy, 1).financial_year] = [None if v is None else float(v) for v in row]
    names = [f"Q{n} ({Quarter(2000, n).short_months_label.split(' ')[0]})" for n in range(1, 5)]
    return table, names


# The latest quarter's reading in a chart's description (the page's "Control chart" paragraph explains it).
LATEST_READING = {spc.COMMON_CAUSE: "common cause variation", spc.IMPROVEMENT: "special cause variation of improvement",
                  spc.CONCERN: "special cause variation of concern",
                  spc.NEITHER: "special cause variation, with neither direction better"}


def spc_table(chart: spc.XmR, labels: list[str], unit: str, lower_is_better: bool | None) -> pd.DataFrame:
    """The control chart's data, a row per quarter: its value, the limits it is judged by and what it shows."""
    segments = [chart.segment_of(i) for i in range(len(labels))]
    return pd.DataFrame({
        "quarter": labels, unit: list(chart.values), "mean": [s.mean for s in segments],
        "upper_limit": [s.upper for s in segments], "lower_limit": [s.lower for s in segments],
        "in_baseline": [s.start <= i < s.baseline_end for i, s in enumerate(segments)],
        "step_change": [s.reason if i == s.start else "" for i, s in enumerate(segments)],
        "special_cause": [signal_text(s) for s in chart.signals],
        "reading": [spc.point_reading(s, lower_is_better) for s in chart.signals]})


class Chart(NamedTuple):
    figure: object
    alt: str
    path: str  # the chart data's download
    web_only: bool = False  # the PDF leaves it out (render/web_only.py)


def measure_charts(figures: MeasureFigures, force: str, quarter: Quarter, history: int,
                   stem: str) -> list[Chart]:
    """Each chart of one measure; ``stem`` names the CSV files. The seasonal chart is the website's only: on paper
    the bar chart and the control chart tell the story, and a third chart per measure doubled the board paper."""
    m, unit, out = figures.measure, figures.measure.unit, []
    bars = bar_data(figures, quarter, history)
    if len(bars) and bars["value"].notna().any() and m.snapshot:
        granularity = "year"
        first, last = bars["label"].iloc[0], bars["label"].iloc[-1]
        shown = figures.rate_figures
        current = shown.current_label.removeprefix("at ")
        fig = charts.bar_chart(list(bars["label"]), list(bars["value"]), set(bars.loc[bars["current"], "label"]),
                               f"{m.name}: {unit} at 31 March, {first} to {last}", unit, current, "Earlier")
        alt = (f"Bar chart of {m.name.lower()} in {display_name(force)}"
               f" at 31 March of each year, {first} to {last}; the count "
               f"{shown.current_label} is highlighted ({format_value(shown.current, unit)} {unit}).")
        data = pd.DataFrame({"at_31_march": bars["label"], unit: bars["value"], "highlighted": bars["current"]})
        out.append(Chart(fig, alt, write_download(data, f"{stem}-yearly")))
    elif len(bars) and bars["value"].notna().any():
        granularity = _granularity(list(bars["period"]))
        first, last = bars["label"].iloc[0], bars["label"].iloc[-1]
        current = figures.headline.current_label
        fig = charts.bar_chart(list(bars["label"]), list(bars["value"]), set(bars.loc[bars["current"], "label"]),
                               f"{m.name}: {unit} per {granularity}, {first} to {last}", unit, current, "Earlier")
        value = format_value(figures.headline.current, unit)
        alt = (f"Bar chart of {m.name.lower()} per {granularity} in {display_name(force)}"
               f", {first} to {last}; the {current} are "
               + (f"highlighted and total {value}." if m.whole_numbers else f"highlighted ({value})."))
        data = pd.DataFrame({granularity.replace(" ", "_"): bars["label"], unit: bars["value"],
                             "in_current_period": bars["current"]})
        out.append(Chart(fig, alt, write_download(data, f"{stem}-{FILE_SUFFIX[granularity]}")))
    if figures.chart is not None:
        chart, labels = figures.chart, list(figures.chart_labels)
        fig = charts.spc_chart(labels, chart, f"{m.name}: control chart of {unit} per quarter", unit,
                               m.lower_is_better)
        # The limits and the reading are in the page's "Control chart" paragraph: the description says what is drawn.
        kind, _ = spc.reading(chart, m.lower_is_better)
        alt = (f"Control (XmR) chart of {m.name.lower()} per quarter, {labels[0]} to {labels[-1]}, with its mean and "
               f"process limits; each point is marked by its reading, and the latest quarter, {labels[-1]}, is "
               f"{LATEST_READING[kind]}.")
        data = spc_table(chart, labels, unit, m.lower_is_better)
        out.append(Chart(fig, alt, write_download(data, f"{stem}-spc")))
    table, names = seasonal_table(figures, quarter) if not m.snapshot else ({}, [])  # no seasons in one count a year
    if table:
        fig = charts.seasonal_chart(table, names, f"{m.name}: {unit} per quarter in each financial year", unit)
        alt = (f"Line chart of {m.name.lower()} per quarter, one line per financial year "
               f"({', '.join(table)}), to compare seasons.")
        data = pd.DataFrame({"financial_year": [y for y in table for _ in names],
                             "quarter": names * len(table), unit: [v for y in table for v in table[y]]})
        out.append(Chart(fig, alt, write_download(data, f"{stem}-seasonal"), web_only=True))
    return out
